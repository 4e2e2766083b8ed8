// Engine selection. `auto` takes the first engine that loads, in AUTO_ORDER: the order
// measured fastest by bench/ on this project's reference machine (docs/benchmarks.md).

import { EngineUnavailableError } from '../errors.js';
import type { EngineName } from '../types.js';
import type { Engine } from '../contract.js';

export const AUTO_ORDER: readonly EngineName[] = ['native', 'uws', 'node'];

async function loadOne(name: EngineName): Promise<Engine> {
  switch (name) {
    case 'uws':
      return (await import('./uws.js')).loadUwsEngine();
    case 'node':
      return (await import('./node.js')).loadNodeEngine();
    case 'native': {
      // Resolved at run time: the native engine module may be absent from a build.
      const spec = new URL('./native.js', import.meta.url).href;
      let mod: { loadNativeEngine?: () => Engine };
      try {
        mod = (await import(spec)) as { loadNativeEngine?: () => Engine };
      } catch (error) {
        throw new EngineUnavailableError(`engine 'native' is unavailable: ${(error as Error).message}`);
      }
      if (typeof mod.loadNativeEngine !== 'function') throw new EngineUnavailableError("engine 'native' is unavailable: not built");
      return mod.loadNativeEngine();
    }
    default:
      throw new EngineUnavailableError(`unknown engine ${JSON.stringify(name)}: use 'auto', 'native', 'uws' or 'node'`);
  }
}

/** Load `name`, or for 'auto' the first of AUTO_ORDER that loads. Errors say why. */
export async function loadEngine(name: EngineName | 'auto'): Promise<Engine> {
  if (name !== 'auto') return loadOne(name);
  const reasons: string[] = [];
  for (const candidate of AUTO_ORDER) {
    try {
      return await loadOne(candidate);
    } catch (error) {
      reasons.push((error as Error).message);
    }
  }
  throw new EngineUnavailableError(`no engine loads: ${reasons.join('; ')}`);
}

/** Names of the engines that load here, in AUTO_ORDER. */
export async function availableEngines(): Promise<EngineName[]> {
  const out: EngineName[] = [];
  for (const name of AUTO_ORDER) {
    try {
      await loadOne(name);
      out.push(name);
    } catch { /* not here */ }
  }
  return out;
}
