import { brotliDecompressSync, createGunzip, gunzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { App, Body } from '../../src/types.js';
import { compress, negotiateEncoding, staticFiles } from '../../src/middleware/index.js';
import { testClient } from '../../src/testing/index.js';
import { validator } from '../../src/validate/index.js';
import { engines, rawRequest, serve } from './helpers.js';

const big = 'tsgi compresses this line well. '.repeat(200); // 6400 bytes
const textApp = (body: string, extra: [string, string][] = [], type = 'text/plain; charset=utf-8'): App =>
  (_e, sr) => { sr('200 OK', [['Content-Type', type], ...extra]); return [body]; };

describe('negotiateEncoding (RFC 9110 §12.5.3)', () => {
  it.each([
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['br;q=0, gzip;q=0', undefined],
    ['*', 'br'],
    ['*;q=0.1, gzip;q=0', 'br'],
    ['identity', undefined],
    ['x-gzip', 'gzip'],
    ['GZIP;Q=1', 'gzip'],
    ['', undefined],
  ] as const)('%s → %s', (header, expected) => {
    expect(negotiateEncoding(header, ['br', 'gzip'])).toBe(expected);
  });
});

describe('compress', () => {
  it('gzip and br bodies decompress to the original, with Vary and no Content-Length', async () => {
    const client = testClient(validator(compress(validator(textApp(big, [['Content-Length', String(big.length)], ['ETag', '"v1"']])))));
    const gz = await client.get('/', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(big);
    expect(gz.body.length).toBeLessThan(big.length / 10);
    expect(gz.headers.get('vary')).toBe('Accept-Encoding');
    expect(gz.headers.has('content-length')).toBe(false);
    expect(gz.headers.get('etag')).toBe('W/"v1"');
    const br = await client.get('/', { headers: { 'Accept-Encoding': 'br, gzip' } });
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(big);
  });

  it('passes through without Accept-Encoding, but still adds Vary', async () => {
    const res = await testClient(compress(textApp(big))).get('/');
    expect(res.headers.has('content-encoding')).toBe(false);
    expect(res.text).toBe(big);
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
  });

  it('skips small bodies (known or streamed), non-compressible types, encoded and partial responses', async () => {
    const ae = { headers: { 'Accept-Encoding': 'gzip' } };
    const small = await testClient(compress(textApp('tiny'))).get('/', ae);
    expect([small.headers.has('content-encoding'), small.text]).toEqual([false, 'tiny']);
    const streamedSmall: App = (_e, sr) => (function* () { sr('200 OK', [['Content-Type', 'text/plain']]); yield 'a'; yield 'b'; })();
    expect((await testClient(compress(streamedSmall)).get('/', ae)).text).toBe('ab');
    const png = await testClient(compress(textApp(big, [], 'image/png'))).get('/', ae);
    expect([png.headers.has('content-encoding'), png.headers.has('vary')]).toEqual([false, false]);
    const encoded = await testClient(compress(textApp(big, [['Content-Encoding', 'identity']]))).get('/', ae);
    expect(encoded.text).toBe(big);
    const noTransform = await testClient(compress(textApp(big, [['Cache-Control', 'no-transform']]))).get('/', ae);
    expect(noTransform.headers.has('content-encoding')).toBe(false);
    const partial: App = (_e, sr) => { sr('206 Partial Content', [['Content-Type', 'text/plain'], ['Content-Range', 'bytes 0-6399/9999']]); return [big]; };
    expect((await testClient(compress(partial)).get('/', ae)).headers.has('content-encoding')).toBe(false);
    const head = await testClient(compress(textApp(big))).head('/', ae);
    expect(head.headers.has('content-encoding')).toBe(false);
  });

  it.each(engines)('a small body of known length keeps its Content-Length, not chunked (%s)', async (engine) => {
    const server = await serve(compress(textApp('tiny')), engine);
    const res = await rawRequest(server.port, 'GET', '/', { 'Accept-Encoding': 'gzip' });
    expect([res.headers['content-length'], res.headers['transfer-encoding'], res.body.toString()]).toEqual(['4', undefined, 'tiny']);
    const peeked = await serve(compress((_e, sr) => (function* () { sr('200 OK', [['Content-Type', 'text/plain']]); yield 'a'; yield 'b'; })()), engine);
    const small = await rawRequest(peeked.port, 'GET', '/', { 'Accept-Encoding': 'gzip' });
    expect([small.headers['content-length'], small.body.toString()]).toEqual(['2', 'ab']);
  });

  it("the app's errors reach the server outside once: 500 before the head, a cut after", async () => {
    const before = testClient(compress(() => { throw new Error('early'); }), { raiseErrors: false });
    const early = await before.get('/', { headers: { 'Accept-Encoding': 'gzip' } });
    expect([early.status, early.errors.match(/early/g)?.length]).toEqual([500, 1]);
    const late: App = (_e, sr) => (function* () { sr('200 OK', [['Content-Type', 'text/plain']]); yield big; throw new Error('late'); })();
    const cut = await testClient(compress(late), { raiseErrors: false }).get('/', { headers: { 'Accept-Encoding': 'gzip' } });
    expect([cut.status, cut.cut, cut.errors.match(/late/g)?.length]).toEqual([200, true, 1]);
    await expect(testClient(compress(late)).get('/', { headers: { 'Accept-Encoding': 'gzip' } })).rejects.toThrow('late');
  });

  it('appends to an existing Vary', async () => {
    const res = await testClient(compress(textApp(big, [['Vary', 'Origin']]))).get('/', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(res.headers.get('vary')).toBe('Origin, Accept-Encoding');
  });

  it('streams: an async body is compressed from its first small chunk, not held back', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => { release = r; });
    const sse: App = (_e, sr) => (async function* () {
      sr('200 OK', [['Content-Type', 'text/event-stream']]);
      yield 'data: 1\n\n';
      await gate;
      yield 'data: 2\n\n';
    })();
    const body = await compress(sse)({ REQUEST_METHOD: 'GET', HTTP_ACCEPT_ENCODING: 'gzip' } as never, () => () => {}) as AsyncIterable<Uint8Array> & { close(): void };
    const it = body[Symbol.asyncIterator]();
    const first = await it.next(); // would hang if compress waited for `threshold` bytes
    const gunzip = createGunzip();
    const out: Buffer[] = [];
    gunzip.on('data', (c: Buffer) => out.push(c));
    await new Promise<void>((r) => gunzip.write(first.value!, () => r()));
    await new Promise<void>((r) => gunzip.flush(() => r()));
    expect(Buffer.concat(out).toString()).toBe('data: 1\n\n');
    release();
    for (let step = await it.next(); !step.done; step = await it.next()) { /* drain */ }
    body.close();
  });

  it('streams: each chunk is flushed as the app produces it', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => { release = r; });
    const app: App = (_e, sr) => (async function* () {
      sr('200 OK', [['Content-Type', 'text/event-stream']]);
      yield 'data: first\n\n'.padEnd(2000, ' ');
      await gate;
      yield 'data: second\n\n';
    })();
    const body = await compress(app, { threshold: 100 })(
      { REQUEST_METHOD: 'GET', HTTP_ACCEPT_ENCODING: 'gzip' } as never, () => () => {},
    ) as AsyncIterable<Uint8Array> & { close(): void };
    const it = body[Symbol.asyncIterator]();
    const first = await it.next();
    // The first chunk decodes on its own before the app produces the second.
    const gunzip = createGunzip();
    const out: Buffer[] = [];
    gunzip.on('data', (c: Buffer) => out.push(c));
    await new Promise<void>((r) => gunzip.write(first.value!, () => r()));
    await new Promise<void>((r) => gunzip.flush(() => r()));
    expect(Buffer.concat(out).toString()).toContain('data: first');
    release();
    const rest: Uint8Array[] = [];
    for (let step = await it.next(); !step.done; step = await it.next()) rest.push(step.value);
    expect(gunzipSync(Buffer.concat([first.value!, ...rest])).toString()).toContain('data: second');
    body.close();
  });

  it('closes the inner body once, also when the client stops early', async () => {
    let closed = 0;
    const app: App = (_e, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return { [Symbol.iterator]: () => [big, big][Symbol.iterator](), close: () => { closed++; } } as Body; };
    await testClient(compress(app)).get('/', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(closed).toBe(1);
    const body = await compress(app)({ REQUEST_METHOD: 'GET', HTTP_ACCEPT_ENCODING: 'gzip' } as never, () => () => {}) as AsyncIterable<Uint8Array> & { close(): void };
    await body[Symbol.asyncIterator]().next();
    body.close();
    body.close();
    expect(closed).toBe(2);
  });

  it.each(engines)('over a socket, static files compressed on the fly (%s)', async (engine) => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-compress-'));
    writeFileSync(join(dir, 'page.html'), `<p>${big}</p>`);
    writeFileSync(join(dir, 'tiny.html'), '<p>x</p>');
    const server = await serve(validator(compress(staticFiles(dir))), engine);
    const res = await rawRequest(server.port, 'GET', '/page.html', { 'Accept-Encoding': 'gzip' });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.body).toString()).toBe(`<p>${big}</p>`);
    const tiny = await rawRequest(server.port, 'GET', '/tiny.html', { 'Accept-Encoding': 'gzip' });
    expect([tiny.headers['content-encoding'], tiny.body.toString()]).toEqual([undefined, '<p>x</p>']);
  });
});
