// Start a server per test on every engine that loads here, and always stop it.

import { afterEach } from 'vitest';
import { availableEngines, serveFast } from '../../src/index.js';
import { validator } from '../../src/validate/index.js';
import type { App, EngineName, Server, ServeOptions } from '../../src/types.js';

/** Engines this machine can run, e.g. ['native', 'uws', 'node']. TSGI_TEST_ENGINES
 * narrows the list (CI runs an ASan build of native with only that engine). */
export const engines: EngineName[] = await (async () => {
  const all = await availableEngines();
  const only = process.env.TSGI_TEST_ENGINES?.split(',').filter(Boolean);
  return only ? all.filter((e) => only.includes(e)) : all;
})();

const running: Server[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** Start `app` on `engine`. The app runs behind tsgi/validate's validator, so every
 * test also checks that our servers keep their side of PEP 3333; tests of deliberate
 * misuse pass `{ validate: false }`. */
export async function start(app: App, engine: EngineName, options: ServeOptions = {}, { validate = true } = {}): Promise<Server> {
  const server = await serveFast(validate ? validator(app) : app, { host: '127.0.0.1', port: 0, engine, ...options });
  running.push(server);
  return server;
}

/** Collects wsgi.errors / logger output of a server. */
export function memoryLogger(): { lines: string[]; error(m: string): void } {
  const lines: string[] = [];
  return { lines, error: (m: string) => { lines.push(m); } };
}

/** uWebSockets.js v20.30 cannot do these; each skip states why (docs/engines.md). */
export const UWS_LIMITS = {
  http10: 'uWS v20.30 drops HTTP/1.0 requests without an answer',
  pipelineAsync: 'uWS closes the connection when a pipelined request arrives while an async response is pending',
  remotePort: 'uWS v20.30 does not expose the remote port',
  absoluteForm: 'uWS v20.30 drops absolute-form and asterisk-form requests',
  headerTimeout: 'uWS has a fixed 10 s idle timeout',
  connectionClose: 'uWS v20.30 leaves the connection open after some responses to a Connection: close request (docs/engines.md)',
};
