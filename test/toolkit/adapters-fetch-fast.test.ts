// fromFetch's fast paths keep fetch semantics: the lazily built Request behaves as a
// Request (instanceof, clone, streaming body, signal, headers iteration, one body read),
// and a LightResponse is sent from its arguments exactly as the runtime's Response would be.
import { afterEach, describe, expect, it } from 'vitest';
import { fromFetch, LightResponse, overrideGlobalResponse } from '../../src/adapters/index.js';
import { testClient } from '../../src/testing/index.js';
import { validator } from '../../src/validate/index.js';
import { engines, rawRequest, serve } from './helpers.js';

const NativeResponse = globalThis.Response;
afterEach(() => { globalThis.Response = NativeResponse; });

/** Runs `probe` on the Request fromFetch builds and answers with what it returned, as JSON. */
function probing(probe: (request: Request) => unknown): ReturnType<typeof fromFetch> {
  return validator(fromFetch(async (request) => Response.json(await probe(request))));
}

describe('fromFetch: the lazily built Request', () => {
  it('is a Request with the URL, normalised method and headers of the environ', async () => {
    const res = await testClient(probing((r) => ({
      isRequest: r instanceof Request, tag: Object.prototype.toString.call(r), url: r.url, method: r.method,
      headers: [...r.headers], accept: r.headers.get('accept'), bodyUsed: r.bodyUsed, body: r.body === null,
      mode: r.mode, redirect: r.redirect,
    }))).get('/a%20b?x=1', { headers: { Accept: 'text/html', 'X-Two': 'a, b' } });
    expect(res.json()).toMatchObject({
      isRequest: true, tag: '[object Request]', url: 'http://localhost/a%20b?x=1', method: 'GET', accept: 'text/html',
      bodyUsed: false, body: true, mode: 'cors', redirect: 'follow',
    });
    expect((res.json() as { headers: string[][] }).headers).toEqual(expect.arrayContaining([['accept', 'text/html'], ['x-two', 'a, b'], ['host', 'localhost']]));
  });

  it('url is serialized as Request.url would be (host case, default port, dot segments, encoding)', async () => {
    const cases: Array<[string, Record<string, string>]> = [
      ['/users/42?fields=name,email', {}],
      ['/a/../b/./c', {}],
      ['/x', { Host: 'Example.COM:80' }],
      ['/x', { Host: 'h:8080' }],
      ['/x', { Host: 'h:0080' }],
      ['/x', { Host: '[::1]:80' }],
      ['/%7Euser/it%27s?q=%22x%22&r=\'', {}],
      ['/.well-known/x', {}],
    ];
    for (const [path, headers] of cases) {
      const res = await testClient(probing((r) => ({ lazy: r.url, real: new Request(r.url).url, raw: r.clone().url }))).get(path, { headers });
      const { lazy, real, raw } = res.json<{ lazy: string; real: string; raw: string }>();
      expect(lazy, `${path} ${JSON.stringify(headers)}`).toBe(real);
      expect(raw).toBe(lazy);
    }
  });

  it('reads the body once: text(), then a second read is a TypeError; clone() refuses a used body', async () => {
    const res = await testClient(probing(async (r) => {
      const first = await r.text();
      const second = await r.text().then(() => 'resolved', (e: Error) => e.constructor.name);
      const json = await r.json().then(() => 'resolved', (e: Error) => e.constructor.name);
      let clone = 'cloned';
      try { r.clone(); } catch (e) { clone = (e as Error).constructor.name; }
      return { first, second, json, clone, used: r.bodyUsed };
    })).post('/', { body: 'héllo' });
    expect(res.json()).toEqual({ first: 'héllo', second: 'TypeError', json: 'TypeError', clone: 'TypeError', used: true });
  });

  it('json(), arrayBuffer(), bytes() and blob() read the body; GET reads as empty', async () => {
    const client = testClient(probing(async (r) => {
      const path = new URL(r.url).pathname;
      if (path === '/json') return r.json();
      if (path === '/bad') return r.json().catch((e: Error) => e.constructor.name);
      if (path === '/ab') return [...new Uint8Array(await r.arrayBuffer())];
      if (path === '/bytes') return [...(await (r as Request & { bytes(): Promise<Uint8Array> }).bytes())];
      if (path === '/blob') { const b = await r.blob(); return { type: b.type, text: await b.text() }; }
      return { text: await r.text() };
    }));
    expect((await client.post('/json', { body: '{"a":[1,2]}' })).json()).toEqual({ a: [1, 2] });
    expect((await client.post('/ab', { body: 'AB' })).json()).toEqual([65, 66]);
    expect((await client.post('/bytes', { body: 'C' })).json()).toEqual([67]);
    expect((await client.post('/blob', { body: 'xyz', headers: { 'Content-Type': 'text/plain' } })).json()).toEqual({ type: 'text/plain', text: 'xyz' });
    expect((await client.get('/get')).json()).toEqual({ text: '' });
    expect((await client.post('/bad', { body: 'not json' })).json()).toBe('SyntaxError');
    // Fetch's UTF-8 decode: a leading BOM is dropped, a bad byte becomes U+FFFD.
    expect((await client.post('/text', { body: Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0xff]) })).json()).toEqual({ text: 'a\ufffd' });
  });

  it('clone() gives a real Request; both copies read the whole body', async () => {
    const res = await testClient(probing(async (r) => {
      const copy = r.clone();
      return { copyIsReal: Object.getPrototypeOf(copy) === Request.prototype, copy: await copy.text(), original: await r.text() };
    })).put('/', { body: 'payload' });
    expect(res.json()).toEqual({ copyIsReal: true, copy: 'payload', original: 'payload' });
  });

  // Node 20's Request reads a source Request through internal symbols, which the lazy
  // request forwards; a runtime that reads them through private fields cannot be given a
  // stand-in, and there (as everywhere) `new Request(request.clone())` copies it.
  const internalSymbols = Object.getOwnPropertySymbols(new Request('http://localhost/')).length > 0;
  const copies = async (source: (r: Request) => Request): Promise<void> => {
    const res = await testClient(probing(async (r) => {
      const copy = new Request(source(r), { headers: { 'x-added': '1' } });
      return { method: copy.method, url: copy.url, added: copy.headers.get('x-added'), body: await copy.text() };
    })).post('/copy?q=1', { body: 'b' });
    expect(res.json()).toEqual({ method: 'POST', url: 'http://localhost/copy?q=1', added: '1', body: 'b' });
  };
  it.skipIf(!internalSymbols)(`new Request(request) copies method, URL, headers and body${internalSymbols ? '' : ' (skipped: this runtime reads a source Request through private fields)'}`, () => copies((r) => r));
  it('new Request(request.clone()) copies method, URL, headers and body', () => copies((r) => r.clone()));

  it.each(engines)('streams a 2 MB body through request.body on a real server (%s)', async (engine) => {
    const server = await serve(fromFetch(async (r) => {
      let total = 0;
      let chunks = 0;
      const reader = r.body!.getReader();
      for (let step = await reader.read(); !step.done; step = await reader.read()) { total += step.value.length; chunks++; }
      return new Response(JSON.stringify({ total, many: chunks > 1, used: r.bodyUsed }));
    }), engine);
    const res = await rawRequest(server.port, 'POST', '/', { 'Content-Type': 'application/octet-stream' }, Buffer.alloc(2_000_000, 7));
    expect(JSON.parse(res.body.toString())).toEqual({ total: 2_000_000, many: true, used: true });
  });

  it('the signal aborts once the answer is complete, for light and streamed answers alike', async () => {
    for (const make of [(s: string) => new LightResponse(s), (s: string) => new NativeResponse(s)]) {
      let seen: AbortSignal | undefined;
      const app = fromFetch((r) => { seen = r.signal; return make(String(r.signal.aborted)); });
      const res = await testClient(app).get('/');
      expect(res.text).toBe('false');
      expect(seen!.aborted).toBe(true);
    }
  });
});

describe('fromFetch: what the handler returns', () => {
  it('a synchronous answer gives a synchronous app; a promise, a promise; anything else is a TypeError', async () => {
    const environ = { REQUEST_METHOD: 'GET', 'wsgi.url_scheme': 'http', HTTP_HOST: 'h', PATH_INFO: '/', SCRIPT_NAME: '', QUERY_STRING: '' } as never;
    const sync = fromFetch(() => new LightResponse('now'))(environ, () => () => {});
    expect(sync).toEqual([Buffer.from('now')]);
    const later = fromFetch(async () => new LightResponse('later'))(environ, () => () => {});
    expect(later).toBeInstanceOf(Promise);
    expect(await later).toEqual([Buffer.from('later')]);
    const wrong = testClient(fromFetch(() => ({ status: 200 }) as unknown as Response));
    await expect(wrong.get('/')).rejects.toThrow(/handler must return a Response .*got object/);
  });
});

describe('fromFetch: LightResponse', () => {
  it('is a Response, and every Response is instanceof LightResponse', () => {
    const light = new LightResponse('x', { status: 201, statusText: 'Made' });
    expect(light instanceof NativeResponse).toBe(true);
    expect(new NativeResponse('x') instanceof LightResponse).toBe(true);
    expect([light.status, light.ok, light.statusText]).toEqual([201, true, 'Made']);
    expect(LightResponse.json({ a: 1 }).headers.get('content-type')).toBe('application/json');
  });

  it('reads like the runtime Response: headers, text(), clone(), default Content-Type', async () => {
    const light = new LightResponse('héllo', { headers: { 'X-One': '1' } });
    expect(light.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
    expect(light.headers.get('x-one')).toBe('1');
    expect(await light.clone().text()).toBe('héllo');
    expect(await light.text()).toBe('héllo');
    expect(light.bodyUsed).toBe(true);
  });

  it('leaves to the runtime what its Headers would rewrite: combined names, trimmed or non-Latin-1 values', async () => {
    const cases: Array<Record<string, string>> = [{ 'X-A': '1', 'x-a': '2' }, { 'x-b': ' padded ' }, { 'x-c': 'é' }];
    for (const headers of cases) {
      const light = new LightResponse('x', { headers });
      const native = new NativeResponse('x', { headers });
      expect([...light.headers], JSON.stringify(headers)).toEqual([...native.headers]);
    }
    expect(() => new LightResponse('x', { headers: { 'x-d': 'snow☃' } })).toThrow(TypeError);
    // A light response materialised late has the headers it was made with.
    const init = { headers: { 'x-e': '1' } as Record<string, string> };
    const late = new LightResponse('x', init);
    init.headers['x-e'] = '2';
    expect(late.headers.get('x-e')).toBe('1');
  });

  it('another light response as the init lends its status and headers, as a Response init does', async () => {
    const get = new LightResponse('x', { status: 201, statusText: 'Made', headers: { 'x-a': '1' } });
    const head = new LightResponse(null, get);
    const native = new NativeResponse(null, new NativeResponse('x', { status: 201, statusText: 'Made', headers: { 'x-a': '1' } }));
    expect([head.status, head.statusText, [...head.headers], head.body]).toEqual([native.status, native.statusText, [...native.headers], null]);
    expect(await get.text()).toBe('x');
  });

  it('refuses what the runtime refuses, with the runtime errors', () => {
    expect(() => new LightResponse('x', { status: 99 })).toThrow(RangeError);
    expect(() => new LightResponse('x', { status: 204 })).toThrow(TypeError);
    expect(() => new LightResponse('x', { headers: { 'bad name': 'v' } })).toThrow(TypeError);
  });

  it('is sent from its arguments: status, reason, headers, Content-Length, Set-Cookie apart, hop-by-hop dropped', async () => {
    const headers = new Headers([['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['content-type', 'application/json']]);
    const client = testClient(validator(fromFetch((r) => {
      const path = new URL(r.url).pathname;
      if (path === '/cookies') return new LightResponse('{}', { status: 202, headers });
      if (path === '/bytes') return new LightResponse(new Uint8Array([1, 2, 3]), { headers: { 'Content-Type': 'x/y', Connection: 'close' } });
      if (path === '/empty') return new LightResponse(null, { status: 204 });
      return new LightResponse('héllo');
    })));
    const text = await client.get('/');
    expect([text.status, text.headers.get('content-type'), text.headers.get('content-length'), text.text]).toEqual([200, 'text/plain;charset=UTF-8', '6', 'héllo']);
    const cookies = await client.get('/cookies');
    expect([cookies.status, cookies.headers.getAll('set-cookie'), cookies.text]).toEqual([202, ['a=1', 'b=2'], '{}']);
    const bytes = await client.get('/bytes');
    expect([bytes.headers.get('content-length'), bytes.headers.has('connection'), [...bytes.body]]).toEqual(['3', false, [1, 2, 3]]);
    expect((await client.get('/empty')).status).toBe(204);
  });

  it('keeps a copy of the bytes given; headers changed by the application are sent', async () => {
    const bytes = new Uint8Array([65, 66]);
    const early = new LightResponse(bytes);
    bytes[0] = 90;
    const changed = new LightResponse('x');
    changed.headers.set('x-late', 'yes');
    const client = testClient(fromFetch((r) => (new URL(r.url).pathname === '/early' ? early : changed)));
    expect((await client.get('/early')).text).toBe('AB');
    const late = await client.get('/late');
    expect([late.headers.get('x-late'), late.text]).toEqual(['yes', 'x']);
  });

  it.each(engines)('by default a handler calling `new Response` gets a LightResponse, sent with its Content-Length (%s)', async (engine) => {
    const server = await serve(fromFetch(() => new Response(JSON.stringify({ ok: true }), { headers: { 'content-type': 'application/json' } })), engine);
    expect(globalThis.Response).toBe(LightResponse);
    const res = await rawRequest(server.port, 'GET', '/');
    expect([res.status, res.headers['content-length'], res.headers['transfer-encoding'], res.body.toString()]).toEqual([200, '11', undefined, '{"ok":true}']);
    overrideGlobalResponse();
    expect(globalThis.Response).toBe(LightResponse);
  });

  it.each(engines)('overrideGlobalResponse: false leaves the runtime Response, streamed out chunked (%s)', async (engine) => {
    const server = await serve(fromFetch(() => new Response('{"ok":true}'), { overrideGlobalResponse: false }), engine);
    expect(globalThis.Response).toBe(NativeResponse);
    const res = await rawRequest(server.port, 'GET', '/');
    expect([res.status, res.headers['content-length'], res.headers['transfer-encoding'], res.body.toString()]).toEqual([200, undefined, 'chunked', '{"ok":true}']);
  });
});
