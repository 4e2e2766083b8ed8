// The memory engine keeps the Exchange contract as the socket engines do: backpressure
// (nothing pulled past what the client takes), a client that leaves (close() once, no
// more pulling), HEAD, sendFile over a file range, 100-continue, streamed request bodies
// with the gateway's pause/resume, and the parser's refusals.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryServer } from '../../src/engines/memory-server.js';
import type { App, Body } from '../../src/types.js';
import { memoryLogger } from '../helpers/server.js';

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];
const GET = { method: 'GET', target: '/', headers: ['Host', 'h'] };

/** An endless synchronous body that counts what was pulled and whether it was closed. */
function counting(chunk: string): { app: App; pulled: () => number; closes: () => number } {
  let pulled = 0;
  let closes = 0;
  const app: App = (_e, sr) => {
    sr('200 OK', TEXT);
    return { [Symbol.iterator]: () => ({ next: () => { pulled++; return { done: false, value: chunk }; } }), close: () => { closes++; } } as Body;
  };
  return { app, pulled: () => pulled, closes: () => closes };
}

describe('memory engine', () => {
  it('serializes the head as an engine does: status line, app headers, Server, Date, framing', async () => {
    const server = createMemoryServer((_e, sr) => { sr('200 OK', [...TEXT, ['X-Name', 'caf\xe9']]); return ['abc']; });
    const r = await server.request(GET);
    expect(r.head!.text).toMatch(/^HTTP\/1\.1 200 OK\r\nContent-Type: text\/plain\r\nX-Name: caf\xe9\r\nServer: tsgi\r\nDate: [^\r]+ GMT\r\nContent-Length: 3\r\n\r\n$/);
    expect(r.head!.appHeaders).toEqual([['Content-Type', 'text/plain'], ['X-Name', 'caf\xe9'], ['Server', 'tsgi']]);
    expect([r.body.toString(), r.keepAlive, r.cut]).toEqual(['abc', true, false]);
  });

  it('backpressure: a client that stops reading stops the pulling; drained() resumes it', async () => {
    const body = counting('x'.repeat(1000));
    const server = createMemoryServer(body.app);
    let accepted = 0;
    const exchange = server.open(GET, {
      continued: () => {}, head: () => {}, end: () => {}, cut: () => {},
      data: (chunk) => { accepted += chunk.length; return accepted < 5000; },
    });
    await new Promise((r) => setImmediate(r));
    // The peek pulls one chunk ahead, then writes stop at the first refusal.
    expect(body.pulled()).toBeLessThanOrEqual(7);
    const before = body.pulled();
    accepted = 0;
    exchange.drained();
    expect(body.pulled()).toBeGreaterThan(before);
    expect(body.closes()).toBe(0);
    exchange.leave();
    expect(body.closes()).toBe(1);
    exchange.drained(); // after leaving: nothing more is pulled
    const after = body.pulled();
    await new Promise((r) => setImmediate(r));
    expect(body.pulled()).toBe(after);
  });

  it('request(): a small window still gets the whole response, in order', async () => {
    const chunks = Array.from({ length: 50 }, (_, i) => `${i},`);
    const server = createMemoryServer((_e, sr) => { sr('200 OK', TEXT); return (function* () { yield* chunks; })(); });
    const r = await server.request(GET, { window: 7 });
    expect(r.body.toString()).toBe(chunks.join(''));
    expect(r.head!.framing).toBe(1); // chunked
  });

  it('HEAD: the head with its length, no body bytes, the body closed', async () => {
    let closes = 0;
    const server = createMemoryServer((_e, sr) => { sr('200 OK', TEXT); return Object.assign(['twelve bytes'], { close: () => { closes++; } }); });
    const r = await server.request({ ...GET, method: 'HEAD' });
    expect([r.head!.contentLength, r.head!.noBody, r.body.length, closes]).toEqual([12, true, 0, 1]);
  });

  it('sendFile reads the file range, with backpressure, and closes the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-memory-'));
    const data = Buffer.alloc(300_000);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    writeFileSync(join(dir, 'f.bin'), data);
    const server = createMemoryServer((e, sr) => { sr('200 OK', [['Content-Type', 'application/octet-stream']]); return e['wsgi.file_wrapper'](join(dir, 'f.bin')); });
    const r = await server.request(GET, { window: 10_000 });
    expect(r.head!.contentLength).toBe(data.length);
    expect(r.body.equals(data)).toBe(true);
  });

  it('a client leaving mid-sendFile ends it; the file is closed once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-memory-'));
    writeFileSync(join(dir, 'f.bin'), Buffer.alloc(1_000_000));
    let closes = 0;
    const server = createMemoryServer((e, sr) => {
      sr('200 OK', TEXT);
      const wrapper = e['wsgi.file_wrapper'](join(dir, 'f.bin')) as Body & { close(): void };
      const close = wrapper.close.bind(wrapper);
      wrapper.close = () => { closes++; close(); };
      return wrapper;
    });
    let got = 0;
    const exchange = server.open(GET, { continued: () => {}, head: () => {}, end: () => {}, cut: () => {}, data: (c) => { got += c.length; return false; } });
    await expect.poll(() => got).toBeGreaterThan(0);
    exchange.leave();
    expect(closes).toBe(1);
    expect(got).toBeLessThan(1_000_000);
  });

  it('100-continue: sent before the body is read; another expectation gets 417', async () => {
    const server = createMemoryServer((e, sr) => { sr('200 OK', TEXT); return [e['wsgi.input'].read()]; });
    const yes = await server.request({ method: 'POST', target: '/', headers: ['Host', 'h', 'Expect', '100-continue', 'Content-Length', '4'], body: Buffer.from('data') });
    expect([yes.continued, yes.body.toString()]).toEqual([true, 'data']);
    const no = await server.request({ method: 'POST', target: '/', headers: ['Host', 'h', 'Expect', 'x', 'Content-Length', '4'], body: Buffer.from('data') });
    expect([no.continued, no.head!.code, no.keepAlive]).toEqual([false, 417, false]);
    const old = await server.request({ method: 'POST', target: '/', versionMinor: 0, headers: ['Expect', '100-continue', 'Content-Length', '4'], body: Buffer.from('data') });
    expect([old.continued, old.body.toString()]).toEqual([false, 'data']); // RFC 9110 §10.1.1: not to HTTP/1.0
  });

  it('a streamed request body: chunked, spooled past bodyMemoryLimit, paused while spooling', async () => {
    const server = createMemoryServer((e, sr) => { sr('200 OK', TEXT); return [`${e.CONTENT_LENGTH ?? 'none'} ${e['wsgi.input'].read().length}`]; }, { bodyMemoryLimit: 1024 });
    async function* stream() { for (let i = 0; i < 200; i++) yield new Uint8Array(64 * 1024); }
    const r = await server.request({ method: 'PUT', target: '/', headers: ['Host', 'h'], body: stream() });
    expect(r.body.toString()).toBe(`none ${200 * 64 * 1024}`);
  });

  it('a body shorter than its Content-Length: the client is gone, no answer, the app never runs', async () => {
    let runs = 0;
    const server = createMemoryServer((_e, sr) => { runs++; sr('200 OK', TEXT); return ['x']; });
    const r = await server.request({ method: 'POST', target: '/', headers: ['Host', 'h', 'Content-Length', '10'], body: Buffer.from('short') });
    expect([r.head, r.cut, runs]).toEqual([undefined, true, 0]);
  });

  it('413 past maxBodySize, before the body is read', async () => {
    const server = createMemoryServer((_e, sr) => { sr('200 OK', TEXT); return ['x']; }, { maxBodySize: 3 });
    const r = await server.request({ method: 'POST', target: '/', headers: ['Host', 'h', 'Content-Length', '7'], body: Buffer.from('toolong') });
    expect([r.head!.code, r.keepAlive]).toEqual([413, false]);
  });

  it.each([
    ['HTTP/1.1 without Host', { method: 'GET', target: '/', headers: [] }, 400],
    ['two Host fields', { method: 'GET', target: '/', headers: ['Host', 'a', 'Host', 'b'] }, 400],
    ['a bad Content-Length', { method: 'POST', target: '/', headers: ['Host', 'h', 'Content-Length', '1x'], body: Buffer.from('x') }, 400],
    ['differing Content-Lengths', { method: 'POST', target: '/', headers: ['Host', 'h', 'Content-Length', '1', 'Content-Length', '2'], body: Buffer.from('x') }, 400],
    ['an unknown transfer coding', { method: 'POST', target: '/', headers: ['Host', 'h', 'Transfer-Encoding', 'gzip, chunked'], body: Buffer.from('x') }, 501],
    ['a fragment in the target', { method: 'GET', target: '/a#b', headers: ['Host', 'h'] }, 400],
  ])('refuses %s as the parsers do (%#)', async (_name, request, status) => {
    let runs = 0;
    const server = createMemoryServer((_e, sr) => { runs++; sr('200 OK', TEXT); return ['x']; });
    const r = await server.request(request);
    expect([r.head!.code, r.keepAlive, runs]).toEqual([status, false, 0]);
  });

  it('an application error is logged once and answered 500; onFailure receives it instead', async () => {
    const log = memoryLogger();
    const boom = new Error('boom');
    const app: App = () => { throw boom; };
    const logged = await createMemoryServer(app, { logger: log }).request(GET);
    expect([logged.head!.code, log.lines.filter((l) => l.includes('boom')).length]).toEqual([500, 1]);
    const seen: unknown[] = [];
    const quiet = memoryLogger();
    await createMemoryServer(app, { logger: quiet, onFailure: (e) => seen.push(e) }).request(GET);
    expect([seen, quiet.lines]).toEqual([[boom], []]);
  });
});
