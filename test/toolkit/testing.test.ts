import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isTsgiError } from '../../src/errors.js';
import type { App, Body } from '../../src/types.js';
import { testClient } from '../../src/testing/index.js';
import { parseForm } from '../../src/util/index.js';
import { validator } from '../../src/validate/index.js';
import { engines, rawRequest, serve, echoEnviron } from './helpers.js';

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];
// The comparison server: uws v20.30 drops a connection whose request has a header name
// with "_" (no answer at all), which the X_Under case below needs.
const reference = engines.find((e) => e !== 'uws') ?? engines[0]!;

describe('testClient', () => {
  it('returns status, headers, body bytes and text', async () => {
    const res = await testClient((_e, sr) => { sr('201 Created', [...TEXT, ['X-A', '1'], ['x-a', '2']]); return ['hé', new Uint8Array([33])]; }).get('/');
    expect(res.status).toBe(201);
    expect(res.statusLine).toBe('201 Created');
    expect(res.headers.getAll('X-A')).toEqual(['1', '2']);
    expect(res.body).toBeInstanceOf(Uint8Array);
    expect([...res.body]).toEqual([0x68, 0xc3, 0xa9, 33]);
    expect(res.text).toBe('hé!');
  });

  it('builds the same environ keys and values as a real server', async () => {
    const keys = ['REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING', 'CONTENT_TYPE', 'CONTENT_LENGTH', 'SERVER_NAME', 'SERVER_PORT', 'SERVER_PROTOCOL', 'HTTP_X_CUSTOM', 'HTTP_ACCEPT', 'wsgi.version', 'wsgi.url_scheme', 'wsgi.input_terminated'];
    const app = validator(echoEnviron(...keys));
    const headers = { 'X-Custom': 'v1', Accept: 'a/b', 'X_Under': 'dropped' };
    const server = await serve(app, reference);
    const overSocket = JSON.parse((await rawRequest(server.port, 'POST', '/p%20q/%C3%A9?x=%20&y', { ...headers, Host: `localhost:${server.port}`, 'Content-Type': 'text/plain' }, 'body')).body.toString());
    const inProcess = (await testClient(app, { host: `localhost:${server.port}` }).post('/p%20q/%C3%A9?x=%20&y', { headers: { ...headers, 'Content-Type': 'text/plain' }, body: 'body' })).json();
    expect(inProcess).toEqual(overSocket);
    expect((inProcess as Record<string, string>).PATH_INFO).toBe('/p q/\xc3\xa9');
    // Full key set too (node:http sends Connection: close, so the client sends a Connection too).
    const allKeys: App = (e, sr) => { sr('200 OK', TEXT); return [Object.keys(e).filter((k) => k !== 'REMOTE_PORT').sort().join(',')]; };
    const server2 = await serve(allKeys, reference);
    const socketKeys = (await rawRequest(server2.port, 'GET', '/?a=1', { Accept: 'x' })).body.toString();
    expect((await testClient(allKeys).get('/?a=1', { headers: { Accept: 'x', Connection: 'keep-alive' } })).text).toBe(socketKeys);
    expect(socketKeys).toContain('HTTP_CONNECTION,HTTP_HOST,PATH_INFO,QUERY_STRING,REMOTE_ADDR,REQUEST_METHOD,SCRIPT_NAME');
  });

  it('encodes paths, merges query options, and sends JSON and form bodies', async () => {
    const client = testClient(validator(echoEnviron('PATH_INFO', 'QUERY_STRING', 'CONTENT_TYPE', 'CONTENT_LENGTH')));
    expect((await client.get('/a b/ü', { query: { q: 'x y', n: [1, 2] } })).json()).toEqual({ PATH_INFO: '/a b/\xc3\xbc', QUERY_STRING: 'q=x%20y&n=1&n=2' });
    expect((await client.get('/p?z=1', { query: 'w=2' })).json()).toMatchObject({ QUERY_STRING: 'z=1&w=2' });
    expect((await client.post('/j', { json: { a: 1 } })).json()).toMatchObject({ CONTENT_TYPE: 'application/json', CONTENT_LENGTH: '7' });
    expect((await client.post('/f', { form: { a: 'b c' } })).json()).toMatchObject({ CONTENT_TYPE: 'application/x-www-form-urlencoded', CONTENT_LENGTH: '7' });
    expect((await client.post('/empty')).json()).toMatchObject({ CONTENT_LENGTH: '0' });
    const get = (await client.get('/')).json() as Record<string, unknown>;
    expect('CONTENT_LENGTH' in get).toBe(false);
  });

  it('sends multipart forms that parseForm reads back', async () => {
    const app: App = (e, sr) => {
      const form = parseForm(e, { onFile: () => undefined });
      const files = form.files.map((f) => [f.field, f.filename, f.contentType, readFileSync(f.path!, 'utf8')]);
      form.cleanup();
      sr('200 OK', [['Content-Type', 'application/json']]);
      return [JSON.stringify({ fields: [...form.fields], files })];
    };
    const res = await testClient(validator(app)).post('/', {
      multipart: { note: 'héllo', tag: ['a', 'b'], doc: { filename: 'r"1.txt', content: 'file body', type: 'text/plain' } },
    });
    expect(res.json()).toEqual({
      fields: [['note', 'héllo'], ['tag', 'a'], ['tag', 'b']],
      files: [['doc', 'r%221.txt', 'text/plain', 'file body']],
    });
  });

  it('reads the request body through wsgi.input', async () => {
    const app: App = (e, sr) => { const body = e['wsgi.input'].read(); sr('200 OK', TEXT); return [`${body.length}:`, body]; };
    const res = await testClient(app).put('/', { body: new Uint8Array([1, 2, 3]) });
    expect([...res.body]).toEqual([...Buffer.from('3:'), 1, 2, 3]);
  });

  it('supports every method helper, and HEAD drops the body but runs and closes the app', async () => {
    let closed = 0;
    const app: App = (e, sr) => { sr('200 OK', TEXT); return { [Symbol.iterator]: () => [e.REQUEST_METHOD][Symbol.iterator](), close: () => { closed++; } } as Body; };
    const client = testClient(app);
    for (const m of ['get', 'post', 'put', 'patch', 'delete', 'options'] as const) expect((await client[m]('/')).text).toBe(m.toUpperCase());
    expect((await client.head('/')).text).toBe('');
    expect((await client.request('PROPFIND', '/')).text).toBe('PROPFIND');
    expect(closed).toBe(8);
  });

  it('keeps cookies across calls, by path, and honours Max-Age / Expires', async () => {
    const app: App = (e, sr) => {
      const set: [string, string][] = [];
      if (e.PATH_INFO === '/login') set.push(['Set-Cookie', 'sid=abc; Path=/; HttpOnly'], ['Set-Cookie', 'adm=1; Path=/admin']);
      if (e.PATH_INFO === '/logout') set.push(['Set-Cookie', 'sid=; Max-Age=0; Path=/'], ['Set-Cookie', 'old=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT']);
      sr('200 OK', [...TEXT, ...set]);
      return [String(e.HTTP_COOKIE ?? '')];
    };
    const client = testClient(app);
    expect((await client.get('/login')).text).toBe('');
    expect((await client.get('/')).text).toBe('sid=abc');
    expect((await client.get('/admin/x')).text).toBe('adm=1; sid=abc');
    expect((await client.get('/administrator')).text).toBe('sid=abc');
    expect(client.cookies.get('sid')).toBe('abc');
    await client.get('/logout');
    expect((await client.get('/')).text).toBe('');
  });

  it('applies the servers\' start_response rules', async () => {
    const call = (app: App) => testClient(app).get('/').then(() => undefined, (e: unknown) => (isTsgiError(e) ? e.code : String(e)));
    expect(await call((_e, sr) => { sr('200 OK', [['Bad Name', 'x']]); return []; })).toBe('TSGI_ERR_INVALID_HEADER');
    expect(await call((_e, sr) => { sr('OK', []); return []; })).toBe('TSGI_ERR_INVALID_STATUS');
    expect(await call((_e, sr) => { sr('200 OK', []); sr('200 OK', []); return []; })).toBe('TSGI_ERR_START_RESPONSE_TWICE');
    expect(await call(() => ['x'])).toBe('TSGI_ERR_NO_START_RESPONSE');
    expect(await call((_e, sr) => { sr('200 OK', []); return [7 as unknown as string]; })).toBe('TSGI_ERR_INVALID_CHUNK');
    expect(await call((_e, sr) => { sr('200 OK', []); return 'str' as unknown as Body; })).toBe('TSGI_ERR_INVALID_BODY');
    expect(await call((_e, sr) => { sr('200 OK', [['Content-Length', '10']]); return ['short']; })).toMatch(/5 bytes less than its Content-Length/);
    expect(await call(() => { throw new Error('boom'); })).toMatch(/boom/);
  });

  it('cuts bytes beyond Content-Length and reports it on wsgi.errors', async () => {
    const res = await testClient((_e, sr) => { sr('200 OK', [...TEXT, ['Content-Length', '3']]); return ['abcdef']; }).get('/');
    expect(res.text).toBe('abc');
    expect(res.errors).toMatch(/3 bytes cut/);
  });

  it('merges write() output in order and closes the body once when iteration throws', async () => {
    let closed = 0;
    const res = await testClient((_e, sr) => {
      const write = sr('200 OK', TEXT);
      write('a');
      return { *[Symbol.iterator]() { write('b'); yield 'c'; yield 'd'; }, close: () => { closed++; } } as Body;
    }).get('/');
    expect(res.text).toBe('abcd');
    expect(closed).toBe(1);
    let closedAfterError = 0;
    await expect(testClient((_e, sr) => {
      sr('200 OK', TEXT);
      return { *[Symbol.iterator]() { yield 'a'; throw new Error('mid'); }, close: () => { closedAfterError++; } } as Body;
    }).get('/')).rejects.toThrow('mid');
    expect(closedAfterError).toBe(1);
  });

  it('excInfo replaces the headers before the first chunk', async () => {
    const res = await testClient((_e, sr) => (function* () {
      sr('200 OK', TEXT);
      sr('503 Busy', [['Content-Type', 'text/html']], new Error('x'));
      yield 'later';
    })()).get('/');
    expect([res.status, res.headers.get('content-type'), res.text]).toEqual([503, 'text/html', 'later']);
  });

  it('runs the servers\' own gateway: framing headers, Server, and the servers\' answer to a chunk then excInfo', async () => {
    const res = await testClient((_e, sr) => { sr('200 OK', TEXT); return ['abc']; }).get('/');
    expect([res.headers.get('content-length'), res.headers.get('server'), res.headers.has('date'), res.cut]).toEqual(['3', 'tsgi', true, false]);
    const chunked = await testClient((_e, sr) => { sr('200 OK', TEXT); return (function* () { yield 'a'; yield 'b'; })(); }).get('/');
    expect([chunked.headers.get('transfer-encoding'), chunked.text]).toEqual(['chunked', 'ab']);
    // Yield a chunk, then start_response with excInfo: every server sends 200, the chunk,
    // and closes (the held chunk counts as sent: excInfo is re-raised).
    const err = new Error('err');
    const late: App = (_e, sr) => (function* () { sr('200 OK', TEXT); yield 'a'; sr('500 Oops', [], err); yield 'never'; })();
    const wire = await testClient(late, { raiseErrors: false }).get('/');
    expect([wire.status, wire.text, wire.cut]).toEqual([200, 'a', true]);
    expect(wire.errors).toMatch(/err/);
    await expect(testClient(late).get('/')).rejects.toBe(err);
  });

  it('raiseErrors: false resolves with what a server sends: 500 before the head', async () => {
    const res = await testClient(() => { throw new Error('boom'); }, { raiseErrors: false }).get('/');
    expect([res.status, res.text, res.cut]).toEqual([500, 'Internal Server Error\n', false]);
    expect(res.errors).toMatch(/boom/);
    const undef = await testClient((() => undefined) as unknown as App, { raiseErrors: false }).get('/');
    expect(undef.status).toBe(500);
    expect(undef.errors).toMatch(/TSGI_ERR_INVALID_BODY|returned undefined/);
  });

  it('SERVER_PORT is the port of the host the client talks to', async () => {
    const port = (host?: string, scheme?: 'http' | 'https') => testClient(echoEnviron('SERVER_PORT', 'SERVER_NAME'), { host, scheme }).get('/').then((r) => r.json());
    expect(await port()).toEqual({ SERVER_PORT: '80', SERVER_NAME: 'localhost' });
    expect(await port('api.test:8443')).toEqual({ SERVER_PORT: '8443', SERVER_NAME: 'api.test' });
    expect(await port('api.test', 'https')).toEqual({ SERVER_PORT: '443', SERVER_NAME: 'api.test' });
  });

  it('accepts async bodies and Promise apps', async () => {
    const res = await testClient(async (_e, sr) => { await null; sr('200 OK', TEXT); return (async function* () { yield 'a'; await null; yield 'b'; })(); }).get('/');
    expect(res.text).toBe('ab');
  });
});
