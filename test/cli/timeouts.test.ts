// --request-timeout (503 or connection closed, body closed, worker unharmed), header
// timeout against slowloris while others are served, --keep-alive idle close.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, HEADER_TIMEOUT_GAP, KEEP_ALIVE_GAP } from './engines.js';
import { get, startTsgi, type Tsgi } from './helpers.js';

let server: Tsgi | undefined;
afterEach(async () => { await server?.stop('SIGKILL'); server = undefined; });

const hostPort = (url: string): [string, number] => {
  const u = new URL(url);
  return [u.hostname, Number(u.port)];
};

describe.each(ENGINES)('engine %s', (engine) => {
  it('--request-timeout: 503 before the body, connection closed after; close() called; the worker keeps serving', async () => {
    server = await startTsgi(['-k', engine, '-w', '1', '--request-timeout', '0.5', '-b', '127.0.0.1:0', 'app.mjs']);
    const started = Date.now();
    const [slowPromise, hang, stall, quick] = await Promise.allSettled([
      get(server.url + '/slow?ms=5000'),
      get(server.url + '/hang'),
      get(server.url + '/stall-after-first'),
      get(server.url + '/slow?ms=100'),
    ]);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(slowPromise.status === 'fulfilled' && slowPromise.value.status).toBe(503);
    expect(hang.status === 'fulfilled' && hang.value.status).toBe(503);
    expect(hang.status === 'fulfilled' && hang.value.body).toMatch(/took too long/);
    expect(stall.status).toBe('rejected'); // head sent: the connection is closed mid-body
    expect(quick.status === 'fulfilled' && quick.value.status).toBe(200);
    await server.waitForLog(/hang body closed/);
    await server.waitForLog(/stall body closed/);
    expect(server.stderr()).toMatch(/request exceeded the request timeout \(0\.5 s\): GET \/hang\n/);
    expect((await get(server.url + '/')).status).toBe(200);
    expect(server.stderr()).not.toMatch(/exited unexpectedly/);
  });

  it.skipIf(HEADER_TIMEOUT_GAP[engine])('cuts a slowloris client after the header timeout while a normal client is served', async () => {
    server = await startTsgi(['-k', engine, '-w', '1', '--header-timeout', '2', '-b', '127.0.0.1:0', 'app.mjs']);
    const [host, port] = hostPort(server.url);
    const loris = connect(port, host);
    const started = Date.now();
    loris.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => { if (!loris.destroyed) loris.write('X-Drip: 1\r\n'); }, 300);
    const cut = new Promise<number>((resolve) => loris.on('close', () => resolve(Date.now() - started)));
    loris.on('error', () => {});
    // Meanwhile a normal client is answered at once.
    const normal = await get(server.url + '/');
    expect(normal.status).toBe(200);
    const elapsed = await cut;
    clearInterval(drip);
    expect(elapsed).toBeGreaterThan(1500);
    expect(elapsed).toBeLessThan(13_000);
  }, 20_000);

  it.skipIf(KEEP_ALIVE_GAP[engine])('--keep-alive: an idle keep-alive connection is closed after the timeout', async () => {
    server = await startTsgi(['-k', engine, '-w', '1', '--keep-alive', '1', '-b', '127.0.0.1:0', 'app.mjs']);
    const [host, port] = hostPort(server.url);
    const socket = connect(port, host);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    let answered = 0;
    socket.on('data', () => { answered = Date.now(); });
    const closedAt = await new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
    expect(answered).toBeGreaterThan(0);
    expect(closedAt - answered).toBeGreaterThan(700);
    expect(closedAt - answered).toBeLessThan(4000);
  });
});
