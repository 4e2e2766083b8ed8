// MODULE[:EXPORT] → the application callable.
// MODULE is a file (relative to the working directory) or a package name; ESM and
// CommonJS both load through import(). TypeScript loads where Node strips types.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { App } from '../types.js';

export class AppLoadError extends Error {
  override readonly name = 'AppLoadError';
}

export interface AppSpec {
  module: string;
  /** Export name; undefined = `app`, else the default export. */
  exportName: string | undefined;
  /** EXPORT ended in "()": a factory to call (it may be async). */
  factory: boolean;
}

export function parseAppSpec(text: string): AppSpec {
  const m = /^(.*):([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(\(\))?$/.exec(text);
  if (m && m[1]) return { module: m[1], exportName: m[2], factory: m[3] !== undefined };
  return { module: text, exportName: undefined, factory: false };
}

/** Resolve MODULE to a URL import() accepts, relative to `cwd`. */
export function resolveModule(module: string, cwd: string): string {
  const path = resolve(cwd, module);
  if (existsSync(path)) return pathToFileURL(path).href;
  try {
    return pathToFileURL(createRequire(resolve(cwd, 'noop.js')).resolve(module)).href;
  } catch {
    throw new AppLoadError(`cannot find module ${JSON.stringify(module)} (no file ${path}, and no package of that name from ${cwd})`);
  }
}

/** Node flags a worker needs to load this module (type stripping for .ts). */
export function execArgvFor(module: string): string[] {
  if (!/\.[cm]?ts$/.test(parseAppSpec(module).module)) return [];
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major > 23 || (major === 23 && minor >= 6)) return []; // on by default
  if (major > 22 || (major === 22 && minor >= 6)) return ['--experimental-strip-types', '--no-warnings=ExperimentalWarning'];
  throw new AppLoadError(`${module}: TypeScript apps need Node >= 22.6 (type stripping); this is Node ${process.versions.node}. Compile it with tsc and serve the .js file.`);
}

export async function loadApp(text: string, cwd: string): Promise<App> {
  const spec = parseAppSpec(text);
  const url = resolveModule(spec.module, cwd);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new AppLoadError(`cannot load ${spec.module}: ${(error as Error).stack ?? String(error)}`);
  }
  let value: unknown;
  let described: string;
  if (spec.exportName !== undefined) {
    value = spec.exportName.split('.').reduce<unknown>((obj, key) => (obj as Record<string, unknown> | undefined)?.[key], mod);
    // CommonJS: module.exports.x shows up on the default export.
    if (value === undefined) value = spec.exportName.split('.').reduce<unknown>((obj, key) => (obj as Record<string, unknown> | undefined)?.[key], mod.default);
    described = spec.exportName;
  } else {
    value = mod.app ?? (mod.default as Record<string, unknown> | undefined)?.app ?? mod.default;
    described = '`app` or the default export';
  }
  if (spec.factory) {
    if (typeof value !== 'function') throw new AppLoadError(`${spec.module}: ${described} is not a function to call (got ${typeof value})`);
    value = await (value as () => unknown)();
    described += '()';
  }
  if (typeof value !== 'function') {
    throw new AppLoadError(`${spec.module}: ${described} is not an application (environ, startResponse) => body; got ${value === undefined ? 'nothing' : typeof value}. Exports: ${Object.keys(mod).join(', ') || 'none'}`);
  }
  return value as App;
}
