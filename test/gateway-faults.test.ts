// Issue 13: no exception from the request path reaches the process. A fault is injected
// at every entry point an engine calls into the gateway — the request handler, promise
// callbacks, onWritable pumps, onAborted, the sendFile callback — through the app's own
// objects (getters, iterators, thenables, close()) and through a logger that throws. On
// every engine: the client gets a 500 or a closed connection, the error is logged once,
// close() runs exactly once, the server answers the next request, and neither
// 'uncaughtException' nor 'unhandledRejection' fires.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App, Body, EngineName, StartResponse } from '../src/types.js';
import { answersNext, eventually } from './faults/harness.js';
import { parseResponses, RawConnection } from './helpers/raw-http.js';
import { engines, memoryLogger, start } from './helpers/server.js';

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];
const BIG = Buffer.alloc(1024 * 1024, 0x62);
type Closes = { n: number };

const escaped: unknown[] = [];
const onEscape = (error: unknown): void => { escaped.push(error); };
beforeAll(() => {
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
});
afterAll(() => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
});

/** `closes` counts close() calls; `next` is the iterator's next(). */
function body(next: () => unknown, closes: Closes, extra: Record<string | symbol, unknown> = {}): Body {
  return { [Symbol.iterator]: () => ({ next }), close: () => { closes.n++; }, ...extra } as unknown as Body;
}
function chunks(...items: unknown[]): () => unknown {
  let i = 0;
  return () => (i < items.length ? { done: false, value: items[i++] } : { done: true, value: undefined });
}
const throwing = (what: string) => (): never => { throw new Error(what); };

interface Fault {
  name: string;
  /** 500: nothing was sent yet; 'cut': a 500 or a connection closed before a complete
   * response (headers may have gone out); 200: the response is fine, only logged. */
  outcome: 500 | 'cut' | 200;
  /** close() calls expected per request (0 when there is no body to close). */
  closes: 0 | 1;
  /** A text the log must hold (once per request). */
  log?: string;
  /** Request method (default GET). */
  method?: 'HEAD';
  /** Error lines per request: 1 unless the body's close() or return() fails as well. */
  lines?: 0 | 1 | 2;
  app: (sr: StartResponse, closes: Closes) => unknown;
}

const faults: Fault[] = [
  { name: 'app returns undefined', outcome: 500, closes: 0, log: 'InvalidBodyError: the application returned undefined; expected an iterable of byte chunks', app: (sr) => { sr('200 OK', TEXT); return undefined; } },
  { name: 'app returns null', outcome: 500, closes: 0, app: (sr) => { sr('200 OK', TEXT); return null; } },
  { name: 'app returns a string', outcome: 500, closes: 0, app: (sr) => { sr('200 OK', TEXT); return 'text'; } },
  { name: 'app throws a non-Error', outcome: 500, closes: 0, log: 'plain string', app: () => { throw 'plain string'; } },
  { name: 'app throws an unprintable value', outcome: 500, closes: 0, app: () => { throw Object.create(null); } },
  { name: 'promise rejects with a non-Error', outcome: 500, closes: 0, app: async () => { await null; throw 42; } },
  { name: 'promise rejects with undefined', outcome: 500, closes: 0, app: () => Promise.reject(undefined) },
  { name: 'promise resolves to undefined', outcome: 500, closes: 0, app: async (sr) => { sr('200 OK', TEXT); await null; return undefined; } },
  { name: 'thenable whose then throws', outcome: 500, closes: 0, app: (sr) => { sr('200 OK', TEXT); return { then: throwing('then') }; } },
  {
    name: 'thenable whose then getter throws', outcome: 500, closes: 0,
    app: (sr) => { sr('200 OK', TEXT); return { get then(): never { throw new Error('then getter'); } }; },
  },
  {
    name: 'thenable that resolves, then rejects, then throws', outcome: 200, closes: 0, lines: 0,
    app: (sr) => { sr('200 OK', TEXT); return { then(ok: (b: unknown) => void, ko: (e: unknown) => void) { ok(['x']); ko(new Error('late')); throw new Error('later'); } }; },
  },
  { name: 'start_response with headers not an array', outcome: 500, closes: 0, log: 'InvalidHeaderError: headers must be an array', app: (sr) => { sr('200 OK', 'nope' as never); return ['x']; } },
  {
    name: 'start_response with a Proxy that throws', outcome: 500, closes: 0,
    app: (sr) => { sr('200 OK', new Proxy([['A', 'b']], { get: throwing('proxy get') }) as never); return ['x']; },
  },
  { name: 'start_response with garbage status', outcome: 500, closes: 0, app: (sr) => { sr(undefined as never, TEXT); return ['x']; } },
  {
    name: 'Symbol.iterator getter throws', outcome: 500, closes: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); return { get [Symbol.iterator](): never { throw new Error('getter'); }, close: () => { closes.n++; } }; },
  },
  {
    name: 'Symbol.iterator returns a non-object', outcome: 500, closes: 1, log: "expected an iterator",
    app: (sr, closes) => { sr('200 OK', TEXT); return { [Symbol.iterator]: () => 7, close: () => { closes.n++; } }; },
  },
  { name: 'body is a revoked Proxy', outcome: 500, closes: 0, app: (sr) => { sr('200 OK', TEXT); const p = Proxy.revocable([], {}); p.revoke(); return p.proxy; } },
  {
    name: 'close getter throws', outcome: 200, closes: 1, log: "close()",
    app: (sr, closes) => { sr('200 OK', TEXT); return { [Symbol.iterator]: () => ({ next: chunks('ok') }), get close(): never { closes.n++; throw new Error('close getter'); } }; },
  },
  { name: 'close() throws', outcome: 200, closes: 1, app: (sr, closes) => { sr('200 OK', TEXT); return body(chunks('ok'), closes, { close: () => { closes.n++; throw 'close'; } }); } },
  {
    name: 'close() returns a rejected promise', outcome: 200, closes: 1, log: 'close rejects',
    app: (sr, closes) => { sr('200 OK', TEXT); return body(chunks('ok'), closes, { close: () => { closes.n++; return Promise.reject(new Error('close rejects')); } }); },
  },
  {
    name: 'endless async body whose return() rejects, on HEAD', outcome: 200, closes: 1, method: 'HEAD',
    app: (sr, closes) => {
      sr('200 OK', TEXT);
      return { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: false, value: 'a' }), return: () => { closes.n++; return Promise.reject(new Error('return rejects')); } }) };
    },
  },
  { name: 'next() throws at once', outcome: 500, closes: 1, app: (sr, closes) => { sr('200 OK', TEXT); return body(throwing('next'), closes); } },
  { name: 'next() returns undefined', outcome: 500, closes: 1, log: "next() returned undefined", app: (sr, closes) => { sr('200 OK', TEXT); return body(() => undefined, closes); } },
  {
    name: 'next() returns a non-object after a chunk', outcome: 'cut', closes: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); let i = 0; return body(() => (i++ === 0 ? { done: false, value: 'a' } : 5), closes); },
  },
  {
    name: 'done getter throws', outcome: 500, closes: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); return body(() => ({ get done(): never { throw new Error('done getter'); } }), closes); },
  },
  {
    name: 'return() throws after an invalid chunk', outcome: 'cut', closes: 0, lines: 2,
    app: (sr) => { sr('200 OK', TEXT); return { [Symbol.iterator]: () => ({ next: chunks('a', 'b', 42), return: throwing('return') }) }; },
  },
  {
    name: 'next() throws from onWritable (after backpressure)', outcome: 'cut', closes: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); let i = 0; return body(() => { if (i++ < 8) return { done: false, value: BIG }; throw new Error('late'); }, closes); },
  },
  {
    name: 'async next() throws synchronously', outcome: 500, closes: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); return { [Symbol.asyncIterator]: () => ({ next: throwing('async next') }), close: () => { closes.n++; } }; },
  },
  {
    name: 'async next() rejects with a non-Error', outcome: 500, closes: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject('nope') }), close: () => { closes.n++; } }; },
  },
  {
    name: 'async next() resolves to a non-object', outcome: 500, closes: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); return { [Symbol.asyncIterator]: () => ({ next: async () => null }), close: () => { closes.n++; } }; },
  },
  {
    name: 'async next() returns a thenable that throws', outcome: 500, closes: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); return { [Symbol.asyncIterator]: () => ({ next: () => ({ then: throwing('then') }) }), close: () => { closes.n++; } }; },
  },
  {
    name: 'async return() rejects after an invalid chunk', outcome: 'cut', closes: 0, lines: 2,
    app: (sr) => {
      sr('200 OK', TEXT);
      let i = 0;
      return { [Symbol.asyncIterator]: () => ({ next: async () => ({ done: false, value: i++ === 0 ? 'a' : {} }), return: () => Promise.reject(new Error('return')) }) };
    },
  },
  {
    name: 'async generator throws after backpressure', outcome: 'cut', closes: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); return (async function* () { try { for (let i = 0; i < 8; i++) yield BIG; throw new Error('late'); } finally { closes.n++; } })(); },
  },
];

function faultApp(f: Fault, closes: Closes): App {
  return (environ, sr) => {
    if (environ.PATH_INFO === '/healthy') { sr('200 OK', TEXT); return ['healthy']; }
    return f.app(sr, closes) as Body;
  };
}

/** One request; resolves with what the client saw once the server is done with it. */
async function request(port: number, method = 'GET'): Promise<{ status: number | undefined; complete: boolean; closed: boolean }> {
  const c = new RawConnection(port);
  try {
    await c.write(`${method} /fault HTTP/1.1\r\nHost: h\r\n\r\n`);
    await c.until((k) => parseResponses(k.data, [method], k.closed).responses.length > 0, 10_000);
    const done = parseResponses(c.data, [method], false).responses;
    return { status: done[0]?.status ?? (c.data.length > 0 ? Number(c.data.toString('latin1').slice(9, 12)) : undefined), complete: done.length > 0, closed: c.closed };
  } finally {
    c.close();
  }
}

const errorLines = (lines: string[]): string[] => lines.filter((l) => /^tsgi: (error|internal)/.test(l));

async function runFault(engine: EngineName, f: Fault): Promise<void> {
  const closes = { n: 0 };
  const logger = memoryLogger();
  const lines = f.lines ?? 1;
  const server = await start(faultApp(f, closes), engine, { logger }, { validate: false });
  for (let round = 1; round <= 3; round++) {
    const seen = await request(server.port, f.method);
    if (f.outcome === 500) expect(seen).toMatchObject({ status: 500, complete: true });
    else if (f.outcome === 200) expect(seen).toMatchObject({ status: 200, complete: true });
    else if (seen.complete) expect(seen.status).toBe(500);
    else expect(seen.closed).toBe(true);
    await answersNext(server.port);
    await eventually(() => closes.n >= round * f.closes, `close() to run (${closes.n})`);
    await eventually(() => errorLines(logger.lines).length >= round * lines, `error lines (${logger.lines.join(' | ')})`);
  }
  await new Promise((r) => setTimeout(r, 20));
  expect(closes.n, 'close() runs exactly once per request').toBe(3 * f.closes);
  expect(errorLines(logger.lines), 'logged once per request').toHaveLength(3 * lines);
  if (f.log) expect(logger.lines.filter((l) => l.includes(f.log!))).toHaveLength(3);
  expect(escaped).toEqual([]);
}

describe.each(engines)('gateway faults on %s', (engine) => {
  it.each(faults)('$name', (f) => runFault(engine, f));

  it('a logger that throws does not turn an app error into a crash', async () => {
    const server = await start((environ, sr) => {
      if (environ.PATH_INFO === '/healthy') { sr('200 OK', TEXT); return ['healthy']; }
      throw new Error('app');
    }, engine, { logger: { error: throwing('logger') } }, { validate: false });
    expect((await request(server.port)).status).toBe(500);
    await answersNext(server.port);
    expect(escaped).toEqual([]);
  });

  it('a client that leaves mid-stream: close() throwing in onAborted is logged, not thrown', async () => {
    const closes = { n: 0 };
    const logger = memoryLogger();
    const server = await start((environ, sr) => {
      if (environ.PATH_INFO === '/healthy') { sr('200 OK', TEXT); return ['healthy']; }
      sr('200 OK', TEXT);
      return { [Symbol.asyncIterator]: () => ({ next: () => new Promise((r) => setTimeout(() => r({ done: false, value: 'tick' }), 5)) }), close: () => { closes.n++; throw new Error('close on abort'); } };
    }, engine, { logger }, { validate: false });
    const c = new RawConnection(server.port);
    await c.write('GET /stream HTTP/1.1\r\nHost: h\r\n\r\n');
    await c.until((k) => k.data.includes('tick'));
    c.close();
    await eventually(() => closes.n === 1, 'close() on abort');
    await answersNext(server.port);
    await eventually(() => logger.lines.some((l) => l.includes('close on abort')), 'the close() error logged');
    expect(closes.n).toBe(1);
    expect(escaped).toEqual([]);
  });
});

describe.each(engines)('request body faults on %s', (engine) => {
  it('a spool file that cannot be created: 500, logged once, the server serves on', async () => {
    const logger = memoryLogger();
    const server = await start((environ, sr) => {
      sr('200 OK', TEXT);
      return [environ.PATH_INFO === '/healthy' ? 'healthy' : (environ['wsgi.input'] as { read(): Uint8Array }).read()];
    }, engine, { logger, bodyMemoryLimit: 1024 }, { validate: false });
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = '/nonexistent/tsgi-gateway-faults'; // os.tmpdir() reads it on every call
    try {
      const c = new RawConnection(server.port);
      await c.write(`POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 4096\r\n\r\n${'u'.repeat(4096)}`);
      await c.until((k) => parseResponses(k.data, [], k.closed).responses.length > 0);
      expect(parseResponses(c.data, [], c.closed).responses[0]?.status).toBe(500);
      c.close();
    } finally {
      if (saved === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = saved;
    }
    await answersNext(server.port);
    expect(logger.lines.filter((l) => l.startsWith('tsgi: could not spool'))).toHaveLength(1);
    expect(escaped).toEqual([]);
  });
});
