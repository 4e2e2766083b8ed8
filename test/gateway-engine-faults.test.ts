// Issue 13, the engine side of "no exception escapes": every Exchange and RequestHead
// method the gateway calls throws in turn (as a broken engine or a closed socket might),
// under every kind of body. The request handler must not throw, no promise may reject
// unhandled, the failure is logged, and the body's close() runs at most once (exactly
// once when the app returned a body).
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exchange, RequestHead, ResponseHead } from '../src/contract.js';
import { createErrorStream } from '../src/error-stream.js';
import { FileWrapper, fileWrapper } from '../src/file-wrapper.js';
import { createGateway } from '../src/gateway.js';
import type { App, Body } from '../src/types.js';

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

const FILE = join(tmpdir(), `tsgi-gateway-engine-faults-${process.pid}`);
writeFileSync(FILE, Buffer.alloc(4096, 0x66));

const EXCHANGE_METHODS = ['writeHead', 'write', 'end', 'onWritable', 'onAborted', 'abort', 'sendFile', 'readBody', 'writeContinue', 'pauseBody', 'resumeBody'] as const;
const HEAD_MEMBERS = ['detach', 'header', 'keepAlive', 'isHead', 'versionMinor', 'target'] as const;
type Broken = (typeof EXCHANGE_METHODS)[number] | (typeof HEAD_MEMBERS)[number];

/** An exchange where `broken` throws; everything else behaves like a fast client.
 * write() reports a full socket every other call, so onWritable is exercised. */
function fakeExchange(broken: Broken, method: string, bodyLength: number, bodyAtOnce: boolean): { exchange: Exchange; calls: string[] } {
  const calls: string[] = [];
  const fail = (name: string): void => {
    calls.push(name);
    if (name === broken) throw new Error(`engine: ${name} broke`);
  };
  let writes = 0;
  /** After end() or abort() nothing may be written (engines: "no method may be used"). */
  let over = false;
  const wire = (name: string): void => {
    if (over) calls.push(`${name} after the end`);
    fail(name);
  };
  const head: RequestHead = {
    get method() { return method; },
    get target() { fail('target'); return '/x?y=1'; },
    get isHead() { fail('isHead'); return method === 'HEAD'; },
    get versionMinor() { fail('versionMinor'); return 1; },
    get keepAlive() { fail('keepAlive'); return true; },
    headerCount: () => 2,
    headerName: (i) => ['Host', 'Expect'][i]!,
    headerValue: (i) => ['h', '100-continue'][i]!,
    header: (name) => { fail('header'); return name === 'host' ? 'h' : name === 'expect' && bodyLength !== 0 ? '100-continue' : undefined; },
    remoteAddress: '127.0.0.1',
    remotePort: 1,
    localPort: 2,
    tls: undefined,
    detach: () => fail('detach'),
  };
  const exchange: Exchange = {
    head,
    bodyLength,
    readBody: (onChunk) => {
      fail('readBody');
      const deliver = (): void => { onChunk(Buffer.from('ab'), false); onChunk(Buffer.from('cd'), true); };
      if (bodyAtOnce) deliver(); else setImmediate(deliver);
    },
    pauseBody: () => fail('pauseBody'),
    resumeBody: () => fail('resumeBody'),
    writeContinue: () => fail('writeContinue'),
    writeHead: (h: ResponseHead) => { wire('writeHead'); calls.push(`status ${h.status} framing ${h.framing}`); },
    write: () => { wire('write'); return ++writes % 2 === 0; },
    end: () => { wire('end'); over = true; },
    onWritable: (cb) => { fail('onWritable'); setImmediate(cb); },
    onAborted: () => fail('onAborted'),
    abort: () => { over = true; fail('abort'); },
    sendFile: (_fd, _offset, _length, done) => { fail('sendFile'); setImmediate(() => done()); },
  };
  return { exchange, calls };
}

type Shape = (closes: { n: number }) => Body | Promise<Body>;
const SHAPES: Record<string, Shape> = {
  array: () => ['a', 'b'],
  'sync generator': (closes) => (function* () { try { for (let i = 0; i < 6; i++) yield 'chunk'; } finally { closes.n++; } })(),
  'async generator': (closes) => (async function* () { try { for (let i = 0; i < 6; i++) { await null; yield 'chunk'; } } finally { closes.n++; } })(),
  'promise of an array': async () => { await null; return ['a']; },
  'file wrapper': (closes) => {
    const f = fileWrapper(FILE) as FileWrapper;
    const close = f.close.bind(f);
    f.close = () => { closes.n++; close(); };
    return f;
  },
};
const countsCloses = new Set(['sync generator', 'async generator', 'file wrapper']);

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 30));

/** 'POST, body at once': the engine had the whole body and delivers it inside readBody. */
describe.each(['GET', 'HEAD', 'POST', 'POST, body at once'])('%s: an engine call that throws', (request) => {
  const method = request.split(',')[0]!;
  const cases = [...EXCHANGE_METHODS, ...HEAD_MEMBERS].flatMap((broken) => Object.keys(SHAPES).map((shape) => ({ broken, shape })));
  it.each(cases)('$broken throws, body: $shape', async ({ broken, shape }) => {
    const lines: string[] = [];
    const closes = { n: 0 };
    const app: App = (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      return SHAPES[shape]!(closes);
    };
    const handler = createGateway(app, {
      maxBodySize: 1 << 20,
      bodyMemoryLimit: 1 << 20,
      context: { serverHeader: 'tsgi', errors: createErrorStream({ error: (m) => { lines.push(m); } }), closing: false },
      defaults: { urlScheme: 'http', multiprocess: false, errors: createErrorStream({ error: () => {} }), fileWrapper, serverName: 'h' },
    });
    const { exchange, calls } = fakeExchange(broken, method, method === 'POST' ? 4 : 0, request.endsWith('at once'));
    expect(() => handler(exchange)).not.toThrow();
    await settle();
    await settle();
    expect(escaped).toEqual([]);
    if (calls.includes(broken)) {
      // The broken call happened: it was logged (or it was abort() itself, the last resort).
      if (broken !== 'abort' && broken !== 'onAborted') expect(lines.join('')).toMatch(/engine: \w+ broke/);
    }
    expect(calls.filter((c) => c.endsWith('after the end'))).toEqual([]);
    expect(closes.n).toBeLessThanOrEqual(1);
    if (countsCloses.has(shape) && calls.some((c) => c.startsWith('status 200'))) expect(closes.n).toBe(1);
  });
});
