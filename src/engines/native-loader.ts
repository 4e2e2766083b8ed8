// Finds and loads the compiled addon. Never falls back silently: every failure throws an
// EngineUnavailableError (TSGI_ERR_ENGINE_UNAVAILABLE) whose message says why (missing
// compiler, missing build, load error, ABI skew).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { EngineUnavailableError } from '../errors.js';
import { NATIVE_ABI_VERSION, type NativeAddon } from './native-protocol.js';

let cached: NativeAddon | undefined;

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'binding.gyp')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new EngineUnavailableError('tsgi native engine unavailable: package root (binding.gyp) not found');
    dir = parent;
  }
}

/** Loads build/Release/tsgi_native.node, or the file named by TSGI_NATIVE_ADDON (used by
 * the ASan build). Throws an EngineUnavailableError saying why when it cannot. */
export function loadNativeAddon(): NativeAddon {
  if (cached) return cached;
  let file = process.env.TSGI_NATIVE_ADDON;
  if (!file) {
    const root = packageRoot();
    file = join(root, 'build', 'Release', 'tsgi_native.node');
    if (!existsSync(file)) {
      const reasonFile = join(root, 'build', 'UNAVAILABLE');
      const reason = existsSync(reasonFile)
        ? readFileSync(reasonFile, 'utf8').trim()
        : `${file} does not exist (run "npm install" or "npm rebuild" to build it)`;
      throw new EngineUnavailableError(`tsgi native engine unavailable: ${reason}`);
    }
  }
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(file) as NativeAddon;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new EngineUnavailableError(`tsgi native engine unavailable: cannot load ${file}: ${why}`, { cause: error });
  }
  if (addon.abiVersion !== NATIVE_ABI_VERSION || typeof addon.listen !== 'function') {
    throw new EngineUnavailableError(
      `tsgi native engine unavailable: ${file} has addon ABI ${String(addon.abiVersion)}, ` +
        `this tsgi needs ${NATIVE_ABI_VERSION} (rebuild with "npm rebuild")`,
    );
  }
  cached = addon;
  return addon;
}
