// A native addon that cannot load is EngineUnavailableError (TSGI_ERR_ENGINE_UNAVAILABLE),
// whether the engine is loaded directly or through serveFast.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const saved = process.env.TSGI_NATIVE_ADDON;
afterEach(() => {
  if (saved === undefined) delete process.env.TSGI_NATIVE_ADDON;
  else process.env.TSGI_NATIVE_ADDON = saved;
});

/** Fresh copies of the modules (the loader caches a loaded addon) with TSGI_NATIVE_ADDON = file. */
async function withAddon(file: string) {
  process.env.TSGI_NATIVE_ADDON = file;
  vi.resetModules();
  const native = await import('../../src/engines/native.js');
  const tsgi = await import('../../src/index.js');
  return { native, tsgi };
}

async function failure(run: () => unknown): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('did not fail');
}

describe('an unavailable native addon', () => {
  it('a missing binary: loadNativeEngine and serveFast both throw TSGI_ERR_ENGINE_UNAVAILABLE', async () => {
    const { native, tsgi } = await withAddon(join(tmpdir(), 'no-such-dir', 'tsgi_native.node'));
    const direct = await failure(() => native.loadNativeEngine());
    expect(direct).toBeInstanceOf(tsgi.EngineUnavailableError);
    expect(tsgi.isTsgiError(direct) && direct.code).toBe('TSGI_ERR_ENGINE_UNAVAILABLE');
    expect(direct.message).toMatch(/cannot load .*no-such-dir/);
    expect(direct.cause).toBeInstanceOf(Error);
    const served = await failure(() => tsgi.serveFast(() => [], { port: 0, engine: 'native' }));
    expect(tsgi.isTsgiError(served) && served.code).toBe('TSGI_ERR_ENGINE_UNAVAILABLE');
    expect(await tsgi.availableEngines()).not.toContain('native');
  });

  it('a binary of another ABI version is refused, saying both versions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-abi-'));
    const file = join(dir, 'old-addon.cjs');
    writeFileSync(file, 'module.exports = { abiVersion: 1, listen() { throw new Error("must not be called"); } };\n');
    const { native, tsgi } = await withAddon(file);
    const error = await failure(() => native.loadNativeEngine());
    expect(tsgi.isTsgiError(error) && error.code).toBe('TSGI_ERR_ENGINE_UNAVAILABLE');
    expect(error.message).toMatch(/addon ABI 1, this tsgi needs \d+/);
  });
});
