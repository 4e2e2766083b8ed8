// bodyTimeout: a request body that stops arriving is given up (RFC 9110 §15.5.9, 408),
// a slow but steady one is not, and 0 turns the timeout off.
import { describe, expect, it } from 'vitest';
import type { App, EngineName } from '../src/types.js';
import { RawConnection } from './helpers/raw-http.js';
import { engines, start } from './helpers/server.js';

/** Echoes the body it read, so a completed upload is visible byte for byte. */
const echo: App = (environ, sr) => {
  const body = (environ['wsgi.input'] as { read(): Uint8Array }).read();
  sr('200 OK', [['Content-Type', 'application/octet-stream']]);
  return [body];
};

const timedEngines = engines.filter((e) => e !== 'uws');
const UWS_REASON = 'uWebSockets.js applies its own fixed 10 s idle timeout to stalled bodies';

describe.each(timedEngines)('bodyTimeout on %s', (engine: EngineName) => {
  it('answers 408 and closes when a Content-Length body stops arriving', async () => {
    let called = 0;
    const s = await start((env, sr) => { called++; return echo(env, sr); }, engine, { bodyTimeout: 1 });
    const c = new RawConnection(s.port);
    const started = Date.now();
    await c.write('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc');
    await c.waitClosed(6000);
    const elapsed = Date.now() - started;
    expect(c.data.toString('latin1')).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(4000);
    expect(called).toBe(0);
  });

  it('answers 408 when a chunked body stops between chunks', async () => {
    const s = await start(echo, engine, { bodyTimeout: 1 });
    const c = new RawConnection(s.port);
    await c.write('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n');
    await c.waitClosed(6000);
    expect(c.data.toString('latin1')).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });

  it('lets a slow but steady upload finish: every read restarts the wait', async () => {
    const s = await start(echo, engine, { bodyTimeout: 1 });
    const c = new RawConnection(s.port);
    const body = 'abcdefghij';
    await c.write(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n`);
    // One byte every 250 ms: 2.5 s in all, never a 1 s pause.
    for (const byte of body) {
      await c.write(byte);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const [response] = await c.responses(1);
    expect(response!.status).toBe(200);
    expect(response!.body.toString()).toBe(body);
    c.close();
  });

  it('never times out with bodyTimeout 0', async () => {
    const s = await start(echo, engine, { bodyTimeout: 0 });
    const c = new RawConnection(s.port);
    await c.write('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc');
    await new Promise((resolve) => setTimeout(resolve, 2200)); // the client pauses on purpose
    expect(c.closed).toBe(false);
    await c.write('def');
    const [response] = await c.responses(1);
    expect(response!.status).toBe(200);
    expect(response!.body.toString()).toBe('abcdef');
    c.close();
  });
});

describe.skipIf(!engines.includes('uws'))('bodyTimeout on uws', () => {
  it.skip(`is not configurable: ${UWS_REASON}`, () => {});
});
