// Which engines the CLI tests run on: every one that loads here (TSGI_TEST_ENGINES=a,b
// narrows it). node shares sockets through node:cluster, uws and native through
// SO_REUSEPORT: both paths are tested.
import { availableEngines } from '../../src/engines/index.js';

const wanted = process.env.TSGI_TEST_ENGINES?.split(',');
export const ENGINES = (await availableEngines()).filter((e) => !wanted || wanted.includes(e));

/** Contract gaps of an engine that a test must skip, with the reason (set
 * TSGI_TEST_STRICT=1 to run them anyway). */
export function knownGap(engine: string, topic: 'graceful-close'): string | undefined {
  if (process.env.TSGI_TEST_STRICT === '1') return undefined;
  return undefined;
}

/** Timeouts the engine enforces, in seconds: undefined = not (quickly) enforced, with why. */
export const HEADER_TIMEOUT_GAP: Record<string, string | undefined> = {
  node: undefined, // src/engines/node.ts checks at headersTimeout / 4
  uws: undefined,
  native: undefined,
};
export const KEEP_ALIVE_GAP: Record<string, string | undefined> = {
  node: undefined,
  uws: 'uWebSockets.js 20.30 has a fixed 10 s idle timeout; ServeOptions.keepAliveTimeout is ignored',
  native: undefined,
};
