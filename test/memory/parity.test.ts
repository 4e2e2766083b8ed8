// The test client and every socket engine run the one gateway: many small apps (status,
// headers, body, and "error → 500 or cut") must give identical outcomes on each — the
// test client (raiseErrors: false shows what a server sends), the memory engine, and
// native / uws / node over real sockets.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testClient } from '../../src/testing/index.js';
import type { App, Body, EngineName } from '../../src/types.js';
import { enginesForSemantics, serveFor, type Outcome, type SemanticsRequest } from '../helpers/semantics.js';
import { memoryLogger, UWS_LIMITS } from '../helpers/server.js';

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsgi-parity-'));
  writeFileSync(join(dir, 'f.txt'), 'file body 0123456789');
});

interface Case {
  app: App;
  request?: SemanticsRequest;
  /** What every engine must give (checked on each, besides equality between them). */
  expect: Partial<Pick<Outcome, 'status' | 'cut' | 'keepAlive' | 'framing'>> & { body?: string };
  /** Skipped on uws, for the reason given (UWS_LIMITS). */
  uwsSkip?: string;
}

const gen = (...chunks: string[]): Body => (function* () { yield* chunks; })();

const cases: Record<string, Case> = {
  'array body: Content-Length': { app: (_e, sr) => { sr('200 OK', TEXT); return ['hello ', 'world']; }, expect: { status: 200, body: 'hello world', framing: 'length', keepAlive: true } },
  'status and repeated headers': { app: (_e, sr) => { sr('404 Not Here', [...TEXT, ['X-A', '1'], ['X-A', '2']]); return ['nope']; }, expect: { status: 404, body: 'nope' } },
  'one-chunk generator: Content-Length (peek)': { app: (_e, sr) => { sr('200 OK', TEXT); return gen('only'); }, expect: { framing: 'length', body: 'only' } },
  'several chunks: chunked': { app: (_e, sr) => { sr('200 OK', TEXT); return gen('a', 'b', 'c'); }, expect: { framing: 'chunked', body: 'abc' } },
  'empty chunks skipped': { app: (_e, sr) => { sr('200 OK', TEXT); return gen('', 'x', '', 'y', ''); }, expect: { body: 'xy' } },
  'write() then an empty body': { app: (_e, sr) => { const w = sr('200 OK', TEXT); w('written'); return []; }, expect: { body: 'written', cut: false } },
  "yield 'a', write('-w-'), yield 'b': in order": {
    app: (_e, sr) => { const w = sr('200 OK', TEXT); return (function* () { yield 'a'; w('-w-'); yield 'b'; })(); },
    expect: { status: 200, body: 'a-w-b', cut: false },
  },
  'async generator': { app: (_e, sr) => (async function* () { sr('200 OK', TEXT); await null; yield 'x'; await null; yield 'y'; })(), expect: { body: 'xy' } },
  'promise app': { app: async (_e, sr) => { await null; sr('201 Created', TEXT); return ['made']; }, expect: { status: 201, body: 'made' } },
  'excInfo before the head is sent replaces it': {
    app: (_e, sr) => { sr('200 OK', TEXT); sr('503 Busy', [['Content-Type', 'text/html']], new Error('x')); return ['later']; },
    expect: { status: 503, body: 'later' },
  },
  'a chunk, then start_response with excInfo: 200, the chunk, cut': {
    app: (_e, sr) => (function* () { sr('200 OK', TEXT); yield 'a'; sr('500 Oops', [], new Error('err')); yield 'never'; })(),
    expect: { status: 200, body: 'a', cut: true },
  },
  'throws before start_response: 500': { app: () => { throw new Error('boom'); }, expect: { status: 500, cut: false } },
  'throws after start_response: 500': { app: (_e, sr) => { sr('200 OK', TEXT); throw new Error('boom'); }, expect: { status: 500 } },
  'rejects: 500': { app: async () => { throw new Error('boom'); }, expect: { status: 500 } },
  'throws after the first chunk: 200, the chunk, cut': {
    app: (_e, sr) => (function* () { sr('200 OK', TEXT); yield 'first'; throw new Error('mid'); })(),
    expect: { status: 200, body: 'first', cut: true },
  },
  'throws after two chunks: cut': {
    app: (_e, sr) => (function* () { sr('200 OK', TEXT); yield 'a'; yield 'b'; throw new Error('mid'); })(),
    expect: { status: 200, body: 'ab', cut: true },
  },
  'returns undefined: 500': { app: ((_e: unknown, sr: (s: string, h: [string, string][]) => void) => { sr('200 OK', TEXT); return undefined; }) as unknown as App, expect: { status: 500 } },
  'returns a string: 500': { app: (_e, sr) => { sr('200 OK', TEXT); return 'text' as unknown as Body; }, expect: { status: 500 } },
  'returns a Buffer: 500': { app: (_e, sr) => { sr('200 OK', TEXT); return Buffer.from('bytes') as unknown as Body; }, expect: { status: 500 } },
  'a number chunk: 500': { app: (_e, sr) => { sr('200 OK', TEXT); return [7 as unknown as string]; }, expect: { status: 500 } },
  'no start_response: 500': { app: () => ['x'], expect: { status: 500 } },
  'start_response twice: 500': { app: (_e, sr) => { sr('200 OK', TEXT); sr('200 OK', TEXT); return ['x']; }, expect: { status: 500 } },
  'invalid header: 500': { app: (_e, sr) => { sr('200 OK', [['Bad Name', 'x']]); return ['x']; }, expect: { status: 500 } },
  'fewer bytes than Content-Length: cut': { app: (_e, sr) => { sr('200 OK', [...TEXT, ['Content-Length', '10']]); return ['short']; }, expect: { status: 200, body: 'short', cut: true } },
  'more bytes than Content-Length: cut to it': { app: (_e, sr) => { sr('200 OK', [...TEXT, ['Content-Length', '3']]); return ['abcdef']; }, expect: { body: 'abc', cut: false, keepAlive: true } },
  'HEAD on an array body': { app: (_e, sr) => { sr('200 OK', TEXT); return ['twelve bytes']; }, request: { method: 'HEAD' }, expect: { status: 200, body: '' } },
  'HEAD on a generator': { app: (_e, sr) => { sr('200 OK', TEXT); return gen('a', 'b'); }, request: { method: 'HEAD' }, expect: { body: '' } },
  '204 drops the body': { app: (_e, sr) => { sr('204 No Content', []); return ['ignored']; }, expect: { status: 204, body: '', keepAlive: true } },
  '304 drops the body': { app: (_e, sr) => { sr('304 Not Modified', []); return ['ignored']; }, expect: { status: 304, body: '' } },
  'Connection: close is honoured': { app: (_e, sr) => { sr('200 OK', TEXT); return ['bye']; }, request: { headers: [['Connection', 'close']] }, expect: { keepAlive: false, body: 'bye' }, uwsSkip: UWS_LIMITS.connectionClose },
  'HTTP/1.0 streaming ends with the connection': {
    app: (_e, sr) => { sr('200 OK', TEXT); return gen('a', 'b'); }, request: { versionMinor: 0 }, expect: { framing: 'close', body: 'ab', keepAlive: false }, uwsSkip: UWS_LIMITS.http10,
  },
  'HTTP/1.0 keep-alive with a known length': {
    app: (_e, sr) => { sr('200 OK', TEXT); return ['k']; }, request: { versionMinor: 0, headers: [['Connection', 'keep-alive']] }, expect: { keepAlive: true, body: 'k' }, uwsSkip: UWS_LIMITS.http10,
  },
  'request body through wsgi.input': {
    app: (e, sr) => { const body = e['wsgi.input'].read(); sr('200 OK', TEXT); return [`${body.length}:`, body]; }, request: { method: 'POST', body: 'payload' }, expect: { body: '7:payload' },
  },
  'Expect: 100-continue': {
    app: (e, sr) => { sr('200 OK', TEXT); return [e['wsgi.input'].read()]; }, request: { method: 'POST', body: 'after 100', headers: [['Expect', '100-continue']] }, expect: { body: 'after 100' },
  },
  'Expect: something else: 417': { app: (_e, sr) => { sr('200 OK', TEXT); return ['x']; }, request: { method: 'POST', body: 'b', headers: [['Expect', 'teapot']] }, expect: { status: 417, keepAlive: false } },
  'environ keys (not the ports)': {
    app: (e, sr) => {
      sr('200 OK', TEXT);
      const keys = ['REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING', 'CONTENT_TYPE', 'CONTENT_LENGTH', 'SERVER_NAME', 'SERVER_PROTOCOL', 'HTTP_HOST', 'HTTP_X_TWICE', 'wsgi.url_scheme', 'wsgi.input_terminated', 'wsgi.multithread', 'wsgi.run_once'];
      return [JSON.stringify(keys.map((k) => [k, e[k]]))];
    },
    request: { method: 'PUT', target: '/a%20b/%C3%A9?q=1&r', headers: [['X-Twice', '1'], ['X-Twice', '2'], ['Content-Type', 'text/x']], body: 'zz' },
    expect: { status: 200 },
  },
  'file_wrapper on a path: Content-Length and the bytes': {
    app: (e, sr) => { sr('200 OK', TEXT); return e['wsgi.file_wrapper'](join(dir, 'f.txt')); }, expect: { framing: 'length', body: 'file body 0123456789' },
  },
  'file_wrapper on an object with read(size): its blocks, then its close()': {
    app: (e, sr) => {
      sr('200 OK', TEXT);
      const blocks = ['read ', 'by ', 'blocks'];
      let closed = 0;
      return e['wsgi.file_wrapper']({ read: (size: number) => { expect(size).toBe(3); return blocks.shift() ?? ''; }, close: () => { closed++; if (closed !== 1) throw new Error('closed twice'); } }, 3);
    },
    expect: { status: 200, body: 'read by blocks', cut: false },
  },
  'file_wrapper on an object whose read() returns promises of bytes': {
    app: (e, sr) => {
      sr('200 OK', TEXT);
      const blocks = [Buffer.from('async '), Buffer.from('reads')];
      return e['wsgi.file_wrapper']({ read: async () => blocks.shift() ?? null });
    },
    expect: { status: 200, body: 'async reads' },
  },
  'file_wrapper on something that is not a file: 500': {
    app: (e, sr) => { sr('200 OK', TEXT); return e['wsgi.file_wrapper']({} as never); }, expect: { status: 500 },
  },
  'latin-1 header value goes out as single bytes': {
    app: (_e, sr) => { sr('200 OK', [...TEXT, ['X-Name', 'caf\xe9']]); return ['ok']; }, expect: { status: 200 },
  },
};

/** Headers that differ by nature: the time; uWebSockets.js's own signature (it adds
 * `uwebsockets: 20` to every response); and node:http's `Connection: keep-alive` /
 * `Keep-Alive: timeout=5` on persistent HTTP/1.1 responses (the persistence itself is
 * compared: `keepAlive`). */
const INCOMPARABLE = new Set(['date', 'uwebsockets', 'connection', 'keep-alive']);

/** What must be equal between engines. */
const comparable = (o: Outcome) => ({
  status: o.status,
  reason: o.reason,
  headers: [...o.headers].filter(([k]) => !INCOMPARABLE.has(k)).sort(([a], [b]) => a.localeCompare(b)),
  body: o.body.toString('latin1'),
  framing: o.framing,
  keepAlive: o.keepAlive,
  cut: o.cut,
});

const engines = enginesForSemantics();

describe('parity: the same app, the same outcome on every engine and the test client', () => {
  it.each(Object.entries(cases))('%s', async (_name, c) => {
    const outcomes: [string, ReturnType<typeof comparable>][] = [];
    for (const engine of engines) {
      if (engine === 'uws' && c.uwsSkip) continue;
      const server = await serveFor(c.app, engine, { logger: memoryLogger() });
      outcomes.push([engine, comparable(await server.request(c.request))]);
    }
    for (const [engine, o] of outcomes) {
      const { body, ...rest } = c.expect;
      expect(o, engine).toMatchObject(rest);
      if (body !== undefined) expect(o.body, engine).toBe(body);
    }
    const [first, reference] = outcomes[0]!;
    for (const [engine, o] of outcomes.slice(1)) expect(o, `${engine} vs ${first}`).toEqual(reference);
  });

  it.each(Object.entries(cases).filter(([, c]) => (c.request?.versionMinor ?? 1) === 1 && !c.request?.headers?.length))('the test client agrees: %s', async (_name, c) => {
    const reference = comparable(await (await serveFor(c.app, engines.find((e) => e !== 'memory') ?? 'memory', { logger: memoryLogger() })).request(c.request));
    const method = c.request?.method ?? 'GET';
    const res = await testClient(c.app, { raiseErrors: false, host: 'example.test' }).request(method, c.request?.target ?? '/', { body: c.request?.body });
    expect({ status: res.status, reason: res.statusLine.slice(4), body: Buffer.from(res.body).toString('latin1'), cut: res.cut }).toEqual({
      status: reference.status, reason: reference.reason, body: reference.body, cut: reference.cut,
    });
    const headers = [...res.headers].map(([k, v]) => [k.toLowerCase(), v] as const).filter(([k]) => k !== 'date');
    expect(headers.map(([k]) => k).sort()).toEqual(reference.headers.flatMap(([k, vs]) => vs.map(() => k)).sort());
  });

  it('by default the test client rejects exactly when a server answers 500 or cuts', async () => {
    for (const [name, c] of Object.entries(cases)) {
      if ((c.request?.versionMinor ?? 1) !== 1 || c.request?.headers?.length) continue;
      const reference = comparable(await (await serveFor(c.app, 'memory', { logger: memoryLogger() })).request(c.request));
      const failed = reference.cut || reference.status === 500;
      const outcome = await testClient(c.app).request(c.request?.method ?? 'GET', c.request?.target ?? '/', { body: c.request?.body }).then(() => 'resolved', () => 'rejected');
      expect(outcome, name).toBe(failed ? 'rejected' : 'resolved');
    }
  });

  it('close() runs exactly once on every engine, whatever the outcome', async () => {
    for (const engine of engines) {
      for (const [name, fault] of [['complete', undefined], ['throws mid-body', new Error('mid')]] as const) {
        let closes = 0;
        const app: App = (_e, sr) => {
          sr('200 OK', TEXT);
          const it = (function* () { yield 'a'; yield 'b'; if (fault) throw fault; yield 'c'; })();
          return { [Symbol.iterator]: () => it, close: () => { closes++; } } as Body;
        };
        const server = await serveFor(app, engine, { logger: memoryLogger() });
        await server.request();
        await expect.poll(() => closes, { message: `${engine} ${name}` }).toBe(1);
      }
    }
  });

  it('the engine list includes memory', () => {
    expect(engines).toContain('memory' as EngineName | 'memory');
  });
});
