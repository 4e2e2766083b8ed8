// The public API: serveFast, engines, graceful close, sockets, limits, bad options.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { availableEngines, EngineUnavailableError, InvalidOptionError, isTsgiError, serveFast } from '../src/index.js';
import type { App } from '../src/types.js';
import { exchangeRaw, RawConnection } from './helpers/raw-http.js';
import { engines, start } from './helpers/server.js';

/** Every 200 names its type: the validator (wsgiref.validate's rules) insists. */
const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

const hello: App = (_e, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return ['Hello, World!']; };

describe('serveFast', () => {
  it('finds at least the portable node engine', async () => {
    expect(await availableEngines()).toContain('node');
  });

  it("with engine 'auto' takes the first engine that loads", async () => {
    const s = await start(hello, 'auto' as never);
    expect(s.engine).toBe((await availableEngines())[0]);
  });

  it('refuses bad options with a TypeError that names the option', async () => {
    await expect(serveFast('nope' as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(serveFast(hello, { port: -1 })).rejects.toThrow(/port/);
    await expect(serveFast(hello, { port: 0, maxBodySize: Number.NaN })).rejects.toThrow(/maxBodySize/);
    await expect(serveFast(hello, { port: 0, bodyTimeout: -1 })).rejects.toThrow(/bodyTimeout/);
    const error = await serveFast(hello, { port: 0, engine: 'warp' as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineUnavailableError);
    expect(isTsgiError(error)).toBe(true);
    expect((error as EngineUnavailableError).code).toBe('TSGI_ERR_ENGINE_UNAVAILABLE');
  });
});

describe.each(engines)('server on %s', (engine) => {
  it('reports host, port and engine, and serves fetch()', async () => {
    const s = await start(hello, engine);
    expect(s.engine).toBe(engine);
    expect(s.host).toBe('127.0.0.1');
    expect(s.port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${s.port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Hello, World!');
  });

  it('answers pipelined requests in order on one connection', async () => {
    const s = await start((env, sr) => { sr('200 OK', TEXT); return [env.PATH_INFO]; }, engine);
    const c = new RawConnection(s.port);
    let batch = '';
    for (let i = 0; i < 50; i++) batch += `GET /${i} HTTP/1.1\r\nHost: h\r\n\r\n`;
    await c.write(batch);
    const rs = await c.responses(50);
    expect(rs.map((r) => r.body.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `/${i}`));
    c.close();
  });

  it('serves many concurrent clients', async () => {
    const s = await start(async (env, sr) => { await null; sr('200 OK', TEXT); return [env.QUERY_STRING]; }, engine);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => fetch(`http://127.0.0.1:${s.port}/?${i}`).then((r) => r.text())));
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
  });

  it('close() lets an in-flight request finish and stops accepting', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let started!: () => void;
    const running = new Promise<void>((r) => { started = r; });
    const server = await serveFast(async (_e, sr) => { started(); await gate; sr('200 OK', TEXT); return ['finished']; }, { port: 0, engine });
    const inflight = fetch(`http://127.0.0.1:${server.port}/`).then((r) => r.text());
    await running;
    let closed = false;
    const closing = server.close().then(() => { closed = true; });
    await new Promise((r) => setImmediate(r));
    expect(closed).toBe(false);
    release();
    expect(await inflight).toBe('finished');
    await closing;
    await expect(fetch(`http://127.0.0.1:${server.port}/`)).rejects.toThrow();
  });

  it('listens on a Unix socket', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tsgi-')), 's.sock');
    const s = await start(hello, engine, { path });
    const c = new RawConnection(0, undefined, path);
    await c.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    expect((await c.responses(1))[0]!.body.toString()).toBe('Hello, World!');
    c.close();
    expect(s.port).toBe(0);
  });

  it('answers 431 for a header block over maxHeaderSize and serves on', async () => {
    const s = await start(hello, engine, { maxHeaderSize: 4096 });
    const { responses } = await exchangeRaw(s.port, `GET / HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`).catch(() => ({ responses: [] }));
    if (engine !== 'uws') expect(responses[0]?.status).toBe(431);
    expect((await exchangeRaw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n')).responses[0]!.status).toBe(200);
  });

  it('answers 414 for a request line over maxRequestLine', async ({ skip }) => {
    if (engine === 'uws') skip('uWS has no request-line limit of its own (only its header block limit)');
    const s = await start(hello, engine, { maxRequestLine: 100 });
    const { responses } = await exchangeRaw(s.port, `GET /${'a'.repeat(200)} HTTP/1.1\r\nHost: h\r\n\r\n`);
    expect(responses[0]!.status).toBe(414);
  });

  it('answers 431 for more header fields than maxHeaderCount', async ({ skip }) => {
    if (engine === 'uws') skip('uWS caps header count at compile time');
    const s = await start(hello, engine, { maxHeaderCount: 10 });
    let req = 'GET / HTTP/1.1\r\nHost: h\r\n';
    for (let i = 0; i < 20; i++) req += `X-H${i}: v\r\n`;
    const { responses } = await exchangeRaw(s.port, req + '\r\n');
    expect(responses[0]!.status).toBe(431);
  });
});
