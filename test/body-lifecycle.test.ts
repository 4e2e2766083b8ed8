// Body kinds, backpressure and PEP 3333's close() contract: close() (or an iterator's
// return()) runs exactly once after success, after an app error and after a disconnect.
import { describe, expect, it } from 'vitest';
import type { App, Body } from '../src/types.js';
import { exchangeRaw, RawConnection } from './helpers/raw-http.js';
import { engines, memoryLogger, start } from './helpers/server.js';

/** Every 200 names its type: the validator (wsgiref.validate's rules) insists. */
const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

const GET = (path = '/') => `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`;

/** A body with close() that counts calls. */
function closable(chunks: string[], closes: { n: number }): Body {
  return { [Symbol.iterator]: () => chunks[Symbol.iterator](), close: () => { closes.n++; } };
}

/** Resolves when `check` holds, polling the event loop (no fixed sleeps). */
async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.each(engines)('body lifecycle on %s', (engine) => {
  it('accepts a Promise of a body', async () => {
    const s = await start(async (_e, sr) => { await null; sr('200 OK', TEXT); return ['promised']; }, engine);
    expect((await exchangeRaw(s.port, GET())).responses[0]!.body.toString()).toBe('promised');
  });

  it('honours start_response called during the first iteration of a generator', async () => {
    const s = await start((_e, sr) => (function* () {
      sr('201 Created', [['X-Late', 'yes'], ...TEXT]);
      yield 'made';
    })(), engine);
    const r = (await exchangeRaw(s.port, GET())).responses[0]!;
    expect(r.status).toBe(201);
    expect(r.headers.get('x-late')).toEqual(['yes']);
    expect(r.body.toString()).toBe('made');
  });

  it('calls close() exactly once after success', async () => {
    const closes = { n: 0 };
    const s = await start((_e, sr) => { sr('200 OK', TEXT); return closable(['a', 'b'], closes); }, engine);
    await exchangeRaw(s.port, GET());
    await eventually(() => closes.n > 0);
    expect(closes.n).toBe(1);
  });

  it('calls close() exactly once when the iteration throws, and the server serves on', async () => {
    const closes = { n: 0 };
    const log = memoryLogger();
    const s = await start((env, sr) => {
      sr('200 OK', TEXT);
      if (env.PATH_INFO === '/ok') return ['fine'];
      const it = (function* () { yield 'first'; yield 'second'; throw new Error('mid-iteration'); })();
      return { [Symbol.iterator]: () => it, close: () => { closes.n++; } };
    }, engine, { logger: log });
    const c = new RawConnection(s.port);
    await c.write(GET());
    await c.waitClosed();
    expect(c.data.toString()).toContain('second');
    expect(c.data.toString()).not.toMatch(/0\r\n\r\n$/); // no terminating chunk: truncation is visible
    expect(closes.n).toBe(1);
    expect(log.lines.join('\n')).toContain('mid-iteration');
    expect((await exchangeRaw(s.port, GET('/ok'))).responses[0]!.body.toString()).toBe('fine');
  });

  it("calls a generator's return() when the client disconnects mid-response", async () => {
    let finalized = 0;
    let produced = 0;
    const s = await start((_e, sr) => {
      sr('200 OK', TEXT);
      return (function* () {
        try {
          for (;;) { produced++; yield Buffer.alloc(64 * 1024, 120); }
        } finally { finalized++; }
      })();
    }, engine);
    const c = new RawConnection(s.port);
    await c.write(GET());
    await c.until((x) => x.data.length > 256 * 1024);
    c.close();
    await eventually(() => finalized > 0);
    expect(finalized).toBe(1);
    // Backpressure: an endless generator was not drained into memory.
    expect(produced).toBeLessThan(2000);
  });

  it('calls close() once when the client disconnects while the app awaits', async () => {
    const closes = { n: 0 };
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let called = false;
    const s = await start(async (_e, sr) => {
      called = true;
      await gate;
      sr('200 OK', TEXT);
      return closable(['never sent'], closes);
    }, engine);
    const c = new RawConnection(s.port);
    await c.write(GET());
    await eventually(() => called);
    c.close();
    await new Promise((r) => setTimeout(r, 20));
    release();
    await eventually(() => closes.n > 0);
    expect(closes.n).toBe(1);
  });

  it('stops pulling from the body while the client does not read (backpressure)', async () => {
    let produced = 0;
    const s = await start((_e, sr) => {
      sr('200 OK', TEXT);
      return (async function* () { for (;;) { produced++; yield Buffer.alloc(64 * 1024); } })();
    }, engine);
    const c = new RawConnection(s.port);
    c.socket.pause();
    await c.write(GET());
    await eventually(() => produced > 10);
    const at = produced;
    await new Promise((r) => setTimeout(r, 200));
    // Socket buffers on both sides hold a few MB at most; 100 chunks = 6.4 MB.
    expect(produced - at).toBeLessThan(100);
    expect(produced).toBeLessThan(200);
    c.close();
  });

  it('answers 500 with a short body when the app throws before start_response', async () => {
    const log = memoryLogger();
    const s = await start((env) => {
      if (env.PATH_INFO === '/reject') return Promise.reject(new Error('async boom'));
      throw new Error('sync boom');
    }, engine, { logger: log });
    for (const path of ['/', '/reject']) {
      const r = (await exchangeRaw(s.port, GET(path))).responses[0]!;
      expect(r.status).toBe(500);
      expect(r.body.toString()).toBe('Internal Server Error\n');
    }
    expect(log.lines.join('\n')).toMatch(/sync boom[\s\S]*at /);
    expect(log.lines.join('\n')).toContain('async boom');
  });

  it.each([
    ['a body that is not iterable', () => 42, 'TSGI_ERR_INVALID_BODY'],
    ['a string body', () => 'text', 'TSGI_ERR_INVALID_BODY'],
    ['a chunk of the wrong type', () => [1], 'TSGI_ERR_INVALID_CHUNK'],
    ['a body without start_response', () => null, 'TSGI_ERR_NO_START_RESPONSE'],
  ])('answers 500 for %s and logs the TypeError', async (_name, body, code) => {
    const log = memoryLogger();
    const s = await start((_e, sr) => {
      if (code !== 'TSGI_ERR_NO_START_RESPONSE') sr('200 OK', TEXT);
      return (body() ?? ['x']) as Body;
    }, engine, { logger: log });
    const r = (await exchangeRaw(s.port, GET())).responses[0]!;
    expect(r.status).toBe(500);
    expect(log.lines.join('\n')).toMatch(/TypeError|Error/);
    expect(log.lines.join('\n')).toContain(code === 'TSGI_ERR_INVALID_BODY' ? 'iterable' : code === 'TSGI_ERR_INVALID_CHUNK' ? 'Uint8Array or string' : 'start_response');
  });

  it('logs an error thrown by close() and serves on', async () => {
    const log = memoryLogger();
    const s = await start((_e, sr) => { sr('200 OK', TEXT); return { [Symbol.iterator]: () => ['ok'][Symbol.iterator](), close: () => { throw new Error('close failed'); } }; }, engine, { logger: log });
    expect((await exchangeRaw(s.port, GET())).responses[0]!.body.toString()).toBe('ok');
    await eventually(() => log.lines.join('\n').includes('close failed'));
    expect((await exchangeRaw(s.port, GET())).responses[0]!.status).toBe(200);
  });
});
