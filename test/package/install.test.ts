// Installing tsgi into another project, as docs/install.md describes: pack the package,
// install the tarball into an empty project (offline: node-addon-api comes from this
// repository's node_modules as a second tarball), build the addon on install, then
//   - import every public subpath from plain JavaScript and serve a request on each
//     engine that loads, and
//   - type-check a TypeScript file against the published declarations.
// About 15-30 s (npm install compiles the addon): it runs once per suite.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const version = (dir: string): string => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
const subpaths = Object.keys((JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports)
  .filter((p) => p !== './package.json')
  .map((p) => (p === '.' ? 'tsgi' : `tsgi/${p.slice(2)}`));

const consumerScript = `
import { serveFast, availableEngines, isTsgiError } from 'tsgi';
const modules = await Promise.all(${JSON.stringify(subpaths)}.map(async (name) => [name, Object.keys(await import(name)).sort()]));
const app = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return ['hello from ' + environ.PATH_INFO];
};
const served = {};
for (const engine of await availableEngines()) {
  const server = await serveFast(app, { port: 0, engine });
  const res = await fetch('http://127.0.0.1:' + server.port + '/consumer');
  served[engine] = res.status + ' ' + (await res.text());
  await server.close();
}
console.log(JSON.stringify({ modules: Object.fromEntries(modules), served, isTsgiError: typeof isTsgiError }));
`;

const consumerTypes = `
import { serveFast, type App } from 'tsgi';
import { validator } from 'tsgi/validate';
import { testClient } from 'tsgi/testing';
import { queryParams } from 'tsgi/util';
import { compress, mount } from 'tsgi/middleware';
import { toFetch } from 'tsgi/adapters';

const HEADERS = [['Content-Type', 'text/plain']] as const;
export const app: App = (environ, startResponse) => {
  const lang: string | undefined = environ.HTTP_ACCEPT_LANGUAGE;
  startResponse('200 OK', HEADERS);
  return [queryParams(environ).get('q') ?? lang ?? ''];
};
// @ts-expect-error a bare string is not a body
export const wrong: App = (_environ, startResponse) => { startResponse('200 OK', []); return 'x'; };
export const wrapped = validator(compress(mount({ '/': app })));
export const client = testClient(wrapped);
export const handler = toFetch(wrapped);
export const serving = (): Promise<unknown> => serveFast(wrapped, { port: 0 });
`;

describe('installing the packed tarball into another project', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsgi-install-'));
    const packs = join(dir, 'packs');
    mkdirSync(packs);
    // --ignore-scripts: dist/ is what `npm test` compiled a moment ago; prepack would
    // clean and rebuild it under the feet of the other test files.
    execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packs], { cwd: repo });
    execFileSync('npm', ['pack', '--silent', '--pack-destination', packs, join(repo, 'node_modules/node-addon-api')], { cwd: repo });
    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({
      name: 'tsgi-consumer',
      private: true,
      type: 'module',
      dependencies: {
        tsgi: `file:../packs/tsgi-${version(repo)}.tgz`,
        'node-addon-api': `file:../packs/node-addon-api-${version(join(repo, 'node_modules/node-addon-api'))}.tgz`,
      },
    }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, stdio: 'pipe' });
    writeFileSync(join(project, 'consumer.mjs'), consumerScript);
    writeFileSync(join(project, 'consumer.ts'), consumerTypes);
  }, 180_000);
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('imports every public subpath and serves a request on every engine that loads', () => {
    const out = execFileSync(process.execPath, ['consumer.mjs'], { cwd: join(dir, 'project'), encoding: 'utf8', timeout: 30_000 });
    const result = JSON.parse(out) as { modules: Record<string, string[]>; served: Record<string, string>; isTsgiError: string };
    expect(Object.keys(result.modules).sort()).toEqual([...subpaths].sort());
    expect(subpaths).toEqual(expect.arrayContaining(['tsgi', 'tsgi/validate', 'tsgi/testing', 'tsgi/util', 'tsgi/middleware', 'tsgi/adapters']));
    expect(result.modules['tsgi']).toEqual(expect.arrayContaining(['serveFast', 'availableEngines']));
    expect(result.modules['tsgi/testing']).toContain('testClient');
    expect(result.modules['tsgi/validate']).toContain('validator');
    // The addon was compiled by the install script, so native is among the engines.
    expect(Object.keys(result.served)).toContain('native');
    for (const response of Object.values(result.served)) expect(response).toBe('200 hello from /consumer');
  }, 60_000);

  it('links the tsgi command into node_modules/.bin', () => {
    const out = execFileSync(join(dir, 'project/node_modules/.bin/tsgi'), ['--version'], { encoding: 'utf8' });
    expect(out.trim()).toContain(version(repo));
  });

  it('type-checks a TypeScript consumer against the published declarations', () => {
    const tsc = join(repo, 'node_modules/typescript/bin/tsc');
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
      '--types', 'node', '--typeRoots', join(repo, 'node_modules/@types'), 'consumer.ts'];
    let output = '';
    try {
      execFileSync(process.execPath, [tsc, ...args], { cwd: join(dir, 'project'), encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout);
    }
    expect(output).toBe('');
  }, 60_000);
});
