// Issue 13, timers measure progress (engine node): a byte that does not advance its phase
// never extends a deadline. node:http restarts its keep-alive timer on every byte, so
// "\r" and "\n" dribbled between requests (RFC 9112 §2.2 lets a server skip them) held a
// connection forever; node-connection.ts gives a waiting connection keepAliveTimeout,
// then headersTimeout once bytes came, and no byte extends either. Time is the subject
// here: the clients pace bytes on purpose, with 1 s timeouts.
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { UWS_LIMITS } from '../helpers/server.js';
import { client, engines, serve, TEXT } from './lab.js';

const FAST = { keepAliveTimeout: 1, headersTimeout: 1, bodyTimeout: 1 };
const hello: App = (environ, startResponse) => {
  const body = environ['wsgi.input'].read();
  startResponse('200 OK', TEXT);
  return [body.length ? `got ${body.length}` : 'hello'];
};

/** Write `first`, then `next(i)` every `everyMs` until the server ends the connection or
 * `maxMs` passed. Resolves with ms from the first byte to the end (Infinity: never). */
async function dribble(port: number, first: string, next: (i: number) => string, everyMs: number, maxMs: number): Promise<{ ms: number; text: string }> {
  const c = await client(port);
  c.socket.setNoDelay(true);
  const t0 = performance.now();
  c.socket.write(first);
  let i = 0;
  const timer = setInterval(() => { if (!c.isEnded()) c.socket.write(next(i++)); }, everyMs);
  const limit = new Promise<void>((r) => setTimeout(r, maxMs));
  await Promise.race([c.ended, limit]);
  clearInterval(timer);
  return { ms: c.isEnded() ? performance.now() - t0 : Infinity, text: c.text() };
}

describe.each(engines)('deadlines that only progress meets, engine %s', (engine) => {
  const skip = engine === 'uws' ? `${UWS_LIMITS.headerTimeout}; tsgi cannot apply keepAliveTimeout or headersTimeout there` : '';

  it.skipIf(skip)(`CR and LF dribbled between requests, one per 0.3 s, are cut within keepAliveTimeout + headersTimeout${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    const { port } = await serve(engine, hello, FAST);
    const r = await dribble(port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', (i) => (i % 2 ? '\n' : '\r'), 300, 6000);
    expect(r.text).toMatch(/^HTTP\/1\.1 200 /);
    // 1 s idle + 1 s for the head that never comes, plus timer slack.
    expect(r.ms).toBeLessThan(3500);
  });

  it.skipIf(skip)(`a header byte every 0.3 s is cut by headersTimeout with 408${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    const { port } = await serve(engine, hello, FAST);
    const r = await dribble(port, 'GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ', () => 'a', 300, 6000);
    expect(r.ms).toBeLessThan(2500);
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /); // RFC 9110 §15.5.9
  });

  it.skipIf(skip)(`a second request dribbled a byte per 0.3 s after a response is cut, not served${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    const { port } = await serve(engine, hello, FAST);
    const second = 'GET /second HTTP/1.1\r\nHost: h\r\nX-Pad: aaaaaaaaaaaaaaaaaaaa\r\n\r\n';
    const r = await dribble(port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', (i) => second[i] ?? '', 300, 8000);
    expect(r.ms).toBeLessThan(3500);
    expect(r.text.match(/HTTP\/1\.1 200 /g)).toHaveLength(1);
  });

  it.skipIf(skip)(`a prompt second request on a kept-alive connection is still served${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    const { port } = await serve(engine, hello, FAST);
    const c = await client(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    await new Promise((r) => setTimeout(r, 600));
    c.socket.write('GET /again HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    await c.ended;
    expect(c.text().match(/HTTP\/1\.1 200 /g)).toHaveLength(2);
  });

  // Body progress is decoded bytes, 1 KiB (or an eighth of a smaller Content-Length) per
  // bodyTimeout, as in the native engine: a byte at a time is the slow-POST attack.
  it.skipIf(skip)(`a large body dribbled a byte per 0.3 s is cut by bodyTimeout with 408${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    const { port } = await serve(engine, hello, FAST);
    const r = await dribble(port, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n', () => 'b', 300, 6000);
    expect(r.ms).toBeLessThan(2500);
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /); // RFC 9110 §15.5.9
  });

  it.skipIf(skip)(`a small body sent slowly but steadily completes${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    const { port } = await serve(engine, hello, FAST);
    const body = 'abcdefghij';
    const r = await dribble(port, 'POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 10\r\n\r\n', (i) => body[i] ?? '', 300, 6000);
    expect(r.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(r.text.endsWith('got 10')).toBe(true);
  });

  it.skipIf(skip)(`a connection that never sends a byte is closed after headersTimeout${skip ? ` (skipped: ${skip})` : ''}`, async () => {
    const { port } = await serve(engine, hello, FAST);
    const c = await client(port);
    const t0 = performance.now();
    await Promise.race([c.ended, new Promise((r) => setTimeout(r, 4000))]);
    expect(c.isEnded()).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2500);
    // Closed silently by tsgi's deadline, or with node:http's own 408 if its checker
    // (which counts from the connection here) runs first: never anything else.
    expect(c.text()).toMatch(/^(HTTP\/1\.1 408 [^]*)?$/);
  });
});
