// Fault injection (issue 13, "no request stops the server"): a throw or a rejection
// anywhere between the engine and the app gives 500 when nothing was sent, else the
// connection closes (never a complete-looking response); it is logged; a client running
// alongside is served; nothing reaches uncaughtException / unhandledRejection in this
// process (the servers run in-process). test/faults covers the classic app errors with
// repetition and leak checks; these are the shapes an attacker-chosen request can drive
// an app into, including the ones JavaScript adds to PEP 3333 (promises, async iterators).
import { describe, expect, it } from 'vitest';
import type { App, Body, StartResponse } from '../../src/types.js';
import { parseResponses } from '../helpers/raw-http.js';
import { engines, eventually, healthy, TEXT, withServer } from './common.js';

const BIG = Buffer.alloc(4 * 1024 * 1024, 0x62); // larger than socket buffers: the next pull waits for onWritable
const SMALL = Buffer.alloc(1024, 0x61);

/** 500: nothing was sent, so a 500 must be. 'cut': headers went out, the connection must
 * close before the response completes. 'error': either (a synchronous body's first chunk
 * may be peeked before headers go out). 'served': the response may complete normally; the
 * fault happens after it (close()), and must only be logged and survived. */
type Outcome = 500 | 'cut' | 'error' | 'served';

interface Fault { name: string; outcome: Outcome; app: (sr: StartResponse) => unknown }

const iterable = (next: () => IteratorResult<unknown>, extra: object = {}): Body =>
  ({ [Symbol.iterator]: () => ({ next }), ...extra }) as unknown as Body;
const asyncIterable = (next: () => Promise<IteratorResult<unknown>>, extra: object = {}): Body =>
  ({ [Symbol.asyncIterator]: () => ({ next }), ...extra }) as unknown as Body;

const FAULTS: Fault[] = [
  { name: 'app throws', outcome: 500, app: () => { throw new Error('boom'); } },
  { name: 'app throws a non-Error (a string)', outcome: 500, app: () => { throw 'boom'; } },
  { name: 'app throws null', outcome: 500, app: () => { throw null; } },
  { name: 'app returns undefined', outcome: 500, app: (sr) => { sr('200 OK', TEXT); return undefined; } },
  { name: 'app returns null', outcome: 500, app: (sr) => { sr('200 OK', TEXT); return null; } },
  { name: 'app returns a number', outcome: 500, app: (sr) => { sr('200 OK', TEXT); return 42; } },
  { name: 'app returns a bare Buffer (an iterable of numbers)', outcome: 500, app: (sr) => { sr('200 OK', TEXT); return Buffer.from('bare'); } },
  { name: 'app returns a bare string', outcome: 'error', app: (sr) => { sr('200 OK', TEXT); return 'bare string'; } },
  { name: 'app rejects', outcome: 500, app: async () => { await null; throw new Error('rejected'); } },
  { name: 'app rejects with undefined', outcome: 500, app: () => Promise.reject(undefined) },
  { name: 'app resolves to undefined', outcome: 500, app: async (sr) => { sr('200 OK', TEXT); await null; return undefined; } },
  { name: 'Symbol.iterator getter throws', outcome: 500, app: (sr) => { sr('200 OK', TEXT); return { get [Symbol.iterator]() { throw new Error('getter'); } }; } },
  { name: 'Symbol.asyncIterator returns a non-object', outcome: 500, app: (sr) => { sr('200 OK', TEXT); return { [Symbol.asyncIterator]: () => 7 }; } },
  { name: 'next() returns a non-object', outcome: 'error', app: (sr) => { sr('200 OK', TEXT); return iterable(() => 7 as unknown as IteratorResult<unknown>); } },
  {
    name: 'generator throws mid-stream', outcome: 'error',
    app: (sr) => { sr('200 OK', TEXT); return (function* () { yield SMALL; yield SMALL; throw new Error('mid-stream'); })(); },
  },
  {
    name: 'async generator throws mid-stream', outcome: 'cut',
    app: (sr) => { sr('200 OK', TEXT); return (async function* () { yield SMALL; await null; yield SMALL; await null; throw new Error('mid-stream'); })(); },
  },
  {
    name: 'async iterator rejects on the first next()', outcome: 500,
    app: (sr) => { sr('200 OK', TEXT); return asyncIterable(() => Promise.reject(new Error('first next'))); },
  },
  {
    name: 'async iterator rejects mid-stream', outcome: 'cut',
    app: (sr) => {
      sr('200 OK', TEXT);
      let n = 0;
      return asyncIterable(async () => { await null; if (n++ < 2) return { value: SMALL, done: false }; throw new Error('later next'); });
    },
  },
  {
    name: 'async iterator rejects mid-stream, and its return() rejects too', outcome: 'cut',
    app: (sr) => {
      sr('200 OK', TEXT);
      let n = 0;
      return { [Symbol.asyncIterator]: () => ({
        next: async () => { await null; if (n++ < 2) return { value: SMALL, done: false }; throw new Error('later next'); },
        return: () => Promise.reject(new Error('return rejects')),
      }) };
    },
  },
  {
    name: 'throw at onWritable time (async generator resumed after backpressure)', outcome: 'cut',
    app: (sr) => { sr('200 OK', TEXT); return (async function* () { yield BIG; yield BIG; throw new Error('on writable'); })(); },
  },
  {
    name: 'throw at onWritable time (sync iterator resumed after backpressure)', outcome: 'cut',
    app: (sr) => { sr('200 OK', TEXT); let n = 0; return iterable(() => { if (n++ < 2) return { value: BIG, done: false }; throw new Error('on writable'); }); },
  },
  {
    name: 'close() throws', outcome: 'served',
    app: (sr) => { sr('200 OK', TEXT); return { [Symbol.iterator]: () => ['ok'][Symbol.iterator](), close: () => { throw new Error('close throws'); } }; },
  },
  {
    name: 'close() returns a rejected promise', outcome: 'served',
    app: (sr) => { sr('200 OK', TEXT); return { [Symbol.iterator]: () => ['ok'][Symbol.iterator](), close: () => Promise.reject(new Error('close rejects')) }; },
  },
  {
    name: 'close() throws after an iteration error', outcome: 'cut',
    app: (sr) => {
      sr('200 OK', TEXT);
      let n = 0;
      return asyncIterable(async () => { await null; if (n++ < 1) return { value: SMALL, done: false }; throw new Error('next'); }, { close: () => { throw new Error('close too'); } });
    },
  },
  { name: 'start_response twice', outcome: 500, app: (sr) => { sr('200 OK', TEXT); sr('200 OK', TEXT); return ['x']; } },
  { name: 'start_response with a status that is not a string', outcome: 500, app: (sr) => { sr(200 as unknown as string, TEXT); return ['x']; } },
  { name: 'start_response with a status whose toString throws', outcome: 500, app: (sr) => { sr({ toString() { throw new Error('toString'); } } as unknown as string, TEXT); return ['x']; } },
  { name: 'start_response with headers that throw when iterated', outcome: 500, app: (sr) => { sr('200 OK', { [Symbol.iterator]() { throw new Error('headers'); } } as unknown as [string, string][]); return ['x']; } },
  { name: 'start_response with headers that are not pairs', outcome: 500, app: (sr) => { sr('200 OK', [['X-A'] as unknown as [string, string], null as unknown as [string, string]]); return ['x']; } },
  { name: 'start_response with header injection', outcome: 500, app: (sr) => { sr('200 OK', [['X-A', 'a\r\n\r\nHTTP/1.1 200 OK']]); return ['x']; } },
  { name: 'start_response never called, async body', outcome: 500, app: () => (async function* () { yield 'no start'; })() },
  { name: 'write() before start_response via a saved callable', outcome: 500, app: (sr) => { const w = sr('200 OK', TEXT); sr('500 Oops', TEXT, new Error('x')); w(42 as unknown as string); return []; } },
  {
    name: 'start_response with excInfo after the first chunk (rethrows)', outcome: 'cut',
    app: (sr) => { sr('200 OK', TEXT); return (async function* () { yield SMALL; await null; sr('500 Internal Server Error', TEXT, new Error('late')); yield 'never'; })(); },
  },
];

function faultApp(f: Fault): App {
  return ((environ, startResponse) => {
    if (environ.PATH_INFO === '/healthy') { startResponse('200 OK', TEXT); return ['healthy']; }
    return f.app(startResponse);
  }) as App;
}

describe.each(engines)('fault injection on %s', (engine) => {
  // One at a time, so whatever escapes to the process is charged to the right fault.
  it.each(FAULTS.map((f) => [f.name, f] as const))('%s', async (_name, fault) => {
    await withServer(engine, faultApp(fault), {}, async (lab) => {
      // A well-behaved client keeps going on its own keep-alive connection meanwhile.
      const other = lab.raw();
      await other.write('GET /healthy HTTP/1.1\r\nHost: h\r\n\r\n');
      await other.responses(1);

      const c = lab.raw();
      await c.write('GET /fault HTTP/1.1\r\nHost: h\r\n\r\n');
      await c.until((k) => parseResponses(k.data, [], k.closed).responses.length > 0 || k.closed, 8000);
      const complete = parseResponses(c.data, [], false).responses;
      const head = c.data.toString('latin1').slice(0, 120);
      if (fault.outcome === 500) {
        expect(complete[0]?.status, `want a 500, got ${JSON.stringify(head)} (closed ${c.closed})`).toBe(500);
      } else if (fault.outcome === 'served') {
        expect(complete[0]?.status, `got ${JSON.stringify(head)}`).toBe(200);
      } else {
        const got500 = complete.length === 1 && complete[0]!.status === 500;
        if (!(fault.outcome === 'error' && got500)) {
          // Headers went out; the connection must end without a complete response.
          await c.waitClosed(8000).catch(() => undefined);
          expect(c.closed, `connection still open after a failure mid-response: ${JSON.stringify(head)}`).toBe(true);
          expect(parseResponses(c.data, [], false).responses, `a complete-looking response after a failure: ${JSON.stringify(head)}`).toHaveLength(0);
          // (uws may close before its corked head reaches the wire: the client then sees
          // only the close, which is still not a complete-looking response.)
          if (c.data.length > 0) expect(head).toMatch(/^HTTP\/1\.1 200/);
        }
      }
      c.close();
      await eventually(() => lab.log.length > 0, 'the fault to be logged', 2000).catch(() => undefined);
      expect(lab.log.length, 'the fault is logged').toBeGreaterThan(0);

      // Everyone else is served: the old keep-alive connection and a new one.
      await other.write('GET /healthy HTTP/1.1\r\nHost: h\r\n\r\n');
      const rs = await other.responses(2);
      expect(rs[1]?.body.toString()).toBe('healthy');
      await healthy(lab);
    });
  });
});
