import { describe, expect, it } from 'vitest';
import type { App, Body } from '../../src/types.js';
import { fromFetch, toFetch } from '../../src/adapters/index.js';
import { mount } from '../../src/middleware/index.js';
import { testClient } from '../../src/testing/index.js';
import { collectingErrors } from '../../src/util/index.js';
import { validator } from '../../src/validate/index.js';
import { engines, rawRequest, serve } from './helpers.js';

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

describe('toFetch: a tsgi app as (Request) => Promise<Response>', () => {
  it('maps method, URL, headers and body into a server-shaped environ', async () => {
    const app: App = (e, sr) => {
      const body = Buffer.from(e['wsgi.input'].read()).toString();
      sr('201 Created', [...TEXT, ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
      return [JSON.stringify({ m: e.REQUEST_METHOD, p: e.PATH_INFO, q: e.QUERY_STRING, h: e.HTTP_HOST, x: e.HTTP_X_ONE, ct: e.CONTENT_TYPE, cl: e.CONTENT_LENGTH, s: e['wsgi.url_scheme'], n: e.SERVER_NAME, port: e.SERVER_PORT, body })];
    };
    const res = await toFetch(validator(app))(new Request('https://api.test:8443/a%20b/%C3%A9?x=1', { method: 'POST', headers: { 'X-One': 'v', 'Content-Type': 'text/plain' }, body: 'payload' }));
    expect(res.status).toBe(201);
    expect(res.statusText).toBe('Created');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    // A fetch body is a stream without Content-Length: like a chunked request on a
    // server, CONTENT_LENGTH is absent (wsgi.input_terminated says read to the end).
    expect(await res.json()).toEqual({ m: 'POST', p: '/a b/\xc3\xa9', q: 'x=1', h: 'api.test:8443', x: 'v', ct: 'text/plain', s: 'https', n: 'api.test', port: '8443', body: 'payload' });
    const sized = await toFetch(app)(new Request('http://x.test/', { method: 'POST', headers: { 'Content-Length': '7' }, body: 'payload' }));
    expect(await sized.json()).toMatchObject({ cl: '7', body: 'payload' });
  });

  it('streams the response: the first chunk arrives before the app produces the next', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => { release = r; });
    const app: App = (_e, sr) => (async function* () { sr('200 OK', TEXT); yield 'one'; await gate; yield 'two'; })();
    const res = await toFetch(app)(new Request('http://x.test/'));
    const reader = res.body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe('one');
    release();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe('two');
    expect((await reader.read()).done).toBe(true);
  });

  it('streams a request body and spools it past bodyMemoryLimit', async () => {
    const app: App = (e, sr) => { const b = e['wsgi.input'].read(); sr('200 OK', TEXT); return [String(b.length)]; };
    const chunks = 50;
    const body = new ReadableStream<Uint8Array>({
      start(controller) { for (let i = 0; i < chunks; i++) controller.enqueue(new Uint8Array(10_000)); controller.close(); },
    });
    const res = await toFetch(app, { bodyMemoryLimit: 4096 })(new Request('http://x.test/', { method: 'PUT', body, duplex: 'half' } as RequestInit));
    expect(await res.text()).toBe('500000');
  });

  it('413 past maxBodySize; 500 when the app fails before its head', async () => {
    const ok: App = (_e, sr) => { sr('200 OK', TEXT); return ['x']; };
    expect((await toFetch(ok, { maxBodySize: 3 })(new Request('http://x.test/', { method: 'POST', body: 'toolong' }))).status).toBe(413);
    const errors = collectingErrors();
    const res = await toFetch(() => { throw new Error('kaboom'); }, { errors })(new Request('http://x.test/'));
    expect(res.status).toBe(500);
    expect(errors.text).toContain('kaboom');
  });

  it('HEAD and 304 give a null body, yet the app is run and closed', async () => {
    let closed = 0;
    const app: App = (e, sr) => { sr(e.PATH_INFO === '/nm' ? '304 Not Modified' : '200 OK', e.PATH_INFO === '/nm' ? [] : TEXT); return { [Symbol.iterator]: () => ['abc'][Symbol.iterator](), close: () => { closed++; } } as Body; };
    const head = await toFetch(app)(new Request('http://x.test/', { method: 'HEAD' }));
    expect([head.body, head.headers.get('content-length')]).toEqual([null, '3']);
    const nm = await toFetch(app)(new Request('http://x.test/nm'));
    expect([nm.status, nm.body]).toEqual([304, null]);
    expect(closed).toBe(2);
  });

  it('cancelling the response body closes the app body once', async () => {
    let closed = 0;
    const app: App = (_e, sr) => { sr('200 OK', TEXT); return { *[Symbol.iterator]() { for (;;) yield 'x'.repeat(1000); }, close: () => { closed++; } } as Body; };
    const res = await toFetch(app)(new Request('http://x.test/'));
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(closed).toBe(1);
  });
});

describe('fromFetch: a fetch handler as a tsgi app', () => {
  const handler = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body = request.body ? await request.text() : '';
    return new Response(JSON.stringify({ method: request.method, url: url.href, x: request.headers.get('x-one'), body }), {
      status: 202,
      headers: [['content-type', 'application/json'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['connection', 'x']],
    });
  };

  it('under testClient: request mapped, Set-Cookie kept apart, hop-by-hop dropped', async () => {
    const res = await testClient(validator(fromFetch(handler))).post('/p%20q?z=1', { headers: { 'X-One': 'v' }, body: 'data' });
    expect(res.status).toBe(202);
    expect(res.json()).toEqual({ method: 'POST', url: 'http://localhost/p%20q?z=1', x: 'v', body: 'data' });
    expect(res.headers.getAll('set-cookie')).toEqual(['a=1', 'b=2']);
    expect(res.headers.has('connection')).toBe(false);
  });

  it.each(engines)('on a real server, streaming the fetch body out (%s)', async (engine) => {
    const streaming = (): Response => new Response(new ReadableStream({
      start(c) { for (let i = 0; i < 100; i++) c.enqueue(new TextEncoder().encode(`line ${i}\n`)); c.close(); },
    }), { headers: { 'content-type': 'text/plain' } });
    const server = await serve(validator(fromFetch(streaming)), engine);
    const res = await rawRequest(server.port, 'GET', '/');
    expect(res.body.toString().split('\n').length).toBe(101);
    expect(res.body.toString()).toContain('line 99\n');
  });

  it('close() cancels the fetch response body', async () => {
    let cancelled = false;
    const app = fromFetch(() => new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(10)); }, cancel() { cancelled = true; } }), { headers: { 'content-type': 'x/y' } }));
    const body = await app({ REQUEST_METHOD: 'GET', 'wsgi.url_scheme': 'http', HTTP_HOST: 'h', PATH_INFO: '/', SCRIPT_NAME: '', QUERY_STRING: '' } as never, () => () => {}) as AsyncIterable<Uint8Array> & { close(): void };
    await body[Symbol.asyncIterator]().next();
    body.close();
    await new Promise((r) => setImmediate(r));
    expect(cancelled).toBe(true);
  });

  it('round trip: toFetch(fromFetch(handler)) behaves like the handler', async () => {
    const res = await toFetch(fromFetch(handler))(new Request('http://h.test/a?b=c', { method: 'PUT', headers: { 'x-one': '1' }, body: 'zz' }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ method: 'PUT', url: 'http://h.test/a?b=c', x: '1', body: 'zz' });
  });

  // A fetch framework routes on the URL's path: mounted at /hono, it must see /users.
  const router = (request: Request): Response => {
    const { pathname, search } = new URL(request.url);
    if (pathname === '/users') return new Response(`users${search}`);
    return new Response(`no route for ${pathname}`, { status: 404 });
  };

  it.each(engines)('mounted under a prefix, the handler sees the URL below it (%s)', async (engine) => {
    const server = await serve(mount({ '/hono': fromFetch(router) }), engine);
    const res = await rawRequest(server.port, 'GET', '/hono/users?page=2');
    expect([res.status, res.body.toString()]).toEqual([200, 'users?page=2']);
    expect((await rawRequest(server.port, 'GET', '/hono/other')).body.toString()).toBe('no route for /other');
  });

  it('keeps the prefix with stripScriptName: false, and a root mount is unchanged', async () => {
    const full = testClient(mount({ '/hono': fromFetch(router, { stripScriptName: false }) }));
    expect((await full.get('/hono/users')).text).toBe('no route for /hono/users');
    expect((await testClient(fromFetch(router)).get('/users?x=%20')).text).toBe('users?x=%20');
    const encoded = await testClient(mount({ '/hé': fromFetch((r) => new Response(new URL(r.url).pathname)) })).get('/h%C3%A9/a%20b');
    expect(encoded.text).toBe('/a%20b');
  });
});
