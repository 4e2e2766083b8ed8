// Listen failures are one error on every engine: ListenError (TSGI_ERR_LISTEN) with the
// operating system's error as `cause` and its code in `osCode`.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isTsgiError, ListenError, serveFast } from '../../src/index.js';
import type { App } from '../../src/types.js';
import { engines, start } from '../helpers/server.js';

const hello: App = (_e, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return ['hi']; };

async function listenFailure(promise: Promise<unknown>): Promise<ListenError> {
  const error = await promise.then((server) => { throw new Error(`listened: ${JSON.stringify(server)}`); }, (e: unknown) => e);
  expect(error).toBeInstanceOf(ListenError);
  expect(isTsgiError(error)).toBe(true);
  return error as ListenError;
}

describe.each(engines)('listen failures on %s', (engine) => {
  it('a port in use is TSGI_ERR_LISTEN with the EADDRINUSE error as cause', async () => {
    const first = await start(hello, engine);
    const error = await listenFailure(serveFast(hello, { host: '127.0.0.1', port: first.port, engine }));
    expect(error.code).toBe('TSGI_ERR_LISTEN');
    expect(error.osCode).toBe('EADDRINUSE');
    const cause = error.cause as NodeJS.ErrnoException;
    expect(cause).toBeInstanceOf(Error);
    expect(cause.code).toBe('EADDRINUSE');
    expect(error.message).toContain(`127.0.0.1:${first.port}`);
    expect(error.message).toContain('EADDRINUSE');
    // The first server still serves.
    expect(await (await fetch(`http://127.0.0.1:${first.port}/`)).text()).toBe('hi');
  });

  it('a port another program holds is the same error', async () => {
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const port = (other.address() as { port: number }).port;
      const error = await listenFailure(serveFast(hello, { host: '127.0.0.1', port, engine }));
      expect(error.osCode).toBe('EADDRINUSE');
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('an address this host does not have is TSGI_ERR_LISTEN with EADDRNOTAVAIL', async () => {
    // 192.0.2.1: TEST-NET-1 (RFC 5737), never assigned to a local interface.
    const error = await listenFailure(serveFast(hello, { host: '192.0.2.1', port: 0, engine }));
    expect(error.osCode).toBe('EADDRNOTAVAIL');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('EADDRNOTAVAIL');
  });
});
