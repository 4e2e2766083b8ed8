// PEP 3333 "environ Variables" over real sockets, on every engine.
import { describe, expect, it } from 'vitest';
import type { App, Environ } from '../src/types.js';
import { exchangeRaw } from './helpers/raw-http.js';
import { engines, start, UWS_LIMITS } from './helpers/server.js';

/** Every 200 names its type: the validator (wsgiref.validate's rules) insists. */
const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

/** An app that answers with the environ it saw (functions and streams replaced by type names). */
const echo: App = (environ, startResponse) => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(environ)) out[k] = typeof v === 'object' && !Array.isArray(v) ? `<${typeof v}>` : typeof v === 'function' ? '<function>' : v;
  startResponse('200 OK', [['Content-Type', 'application/json']]);
  return [JSON.stringify(out)];
};

async function environOf(port: number, request: string): Promise<Record<string, unknown>> {
  const { responses } = await exchangeRaw(port, request);
  expect(responses[0]!.status).toBe(200);
  return JSON.parse(responses[0]!.body.toString('utf8')) as Record<string, unknown>;
}

describe.each(engines)('environ on %s', (engine) => {
  it('has every PEP 3333 and CGI key with the right values', async () => {
    const s = await start(echo, engine);
    const env = await environOf(s.port, 'GET /a%20b/c?x=1&y=%20 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: t\r\nConnection: close\r\n\r\n');
    expect(env).toMatchObject({
      REQUEST_METHOD: 'GET', SCRIPT_NAME: '', PATH_INFO: '/a b/c', QUERY_STRING: 'x=1&y=%20',
      // RFC 3875 §4.1.15: the port the request was received on, not the Host's.
      SERVER_NAME: 'example.com', SERVER_PORT: String(s.port), SERVER_PROTOCOL: 'HTTP/1.1',
      REMOTE_ADDR: '127.0.0.1', HTTP_HOST: 'example.com:8080', HTTP_USER_AGENT: 't',
      'wsgi.version': [1, 0], 'wsgi.url_scheme': 'http', 'wsgi.multithread': false,
      'wsgi.multiprocess': false, 'wsgi.run_once': false, 'wsgi.input_terminated': true,
      'wsgi.input': '<object>', 'wsgi.errors': '<object>', 'wsgi.file_wrapper': '<function>',
    });
    expect(env).not.toHaveProperty('CONTENT_TYPE');
    expect(env).not.toHaveProperty('CONTENT_LENGTH');
    if (engine !== 'uws') expect(env.REMOTE_PORT).toMatch(/^\d+$/);
  });

  it('sets CONTENT_TYPE and CONTENT_LENGTH only when sent, never as HTTP_ keys', async () => {
    const s = await start(echo, engine);
    const env = await environOf(s.port, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc');
    expect(env.CONTENT_TYPE).toBe('text/plain');
    expect(env.CONTENT_LENGTH).toBe('3');
    expect(env).not.toHaveProperty('HTTP_CONTENT_TYPE');
    expect(env).not.toHaveProperty('HTTP_CONTENT_LENGTH');
  });

  it('decodes PATH_INFO byte-wise into latin-1 code units and keeps QUERY_STRING raw', async () => {
    const s = await start(echo, engine);
    const env = await environOf(s.port, 'GET /caf%C3%A9/%2F/%zz?q=caf%C3%A9 HTTP/1.1\r\nHost: h\r\n\r\n');
    expect(env.PATH_INFO).toBe('/caf\u00c3\u00a9///%zz');
    expect(env.QUERY_STRING).toBe('q=caf%C3%A9');
  });

  it('joins repeated header fields with ", "', async () => {
    const s = await start(echo, engine);
    const env = await environOf(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nX-Multi: a\r\nX-Multi: b\r\n\r\n');
    expect(env.HTTP_X_MULTI).toBe('a, b');
  });

  it('drops header names with underscores, so they cannot pose as dashed ones', async ({ skip }) => {
    if (engine === 'uws') skip('uWS v20.30 drops such requests without an answer');
    const s = await start(echo, engine);
    const env = await environOf(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nX_Forwarded_For: evil\r\n\r\n');
    expect(env).not.toHaveProperty('HTTP_X_FORWARDED_FOR');
  });

  it('falls back to the server address without a Host header (HTTP/1.0)', async ({ skip }) => {
    if (engine === 'uws') skip(UWS_LIMITS.http10);
    const s = await start(echo, engine);
    const env = await environOf(s.port, 'GET /x HTTP/1.0\r\n\r\n');
    expect(env.SERVER_PROTOCOL).toBe('HTTP/1.0');
    expect(env.SERVER_NAME).toBe('127.0.0.1');
    expect(env.SERVER_PORT).toBe(String(s.port));
  });

  it('takes the authority of an absolute-form target (RFC 9112 §3.2.2)', async ({ skip }) => {
    if (engine === 'uws') skip(UWS_LIMITS.absoluteForm);
    const s = await start(echo, engine);
    const env = await environOf(s.port, 'GET http://other.example:81/p%41th?q=1 HTTP/1.1\r\nHost: h\r\n\r\n');
    expect(env).toMatchObject({ PATH_INFO: '/pAth', QUERY_STRING: 'q=1', SERVER_NAME: 'other.example', SERVER_PORT: String(s.port), HTTP_HOST: 'other.example:81' });
  });

  it('is an ordinary mutable object: in, keys, spread, JSON, assignment, delete', async () => {
    let seen: Record<string, unknown> = {};
    const app: App = (environ, startResponse) => {
      const keysBefore = Object.keys(environ).length;
      environ.SCRIPT_NAME = '/mount';
      environ.PATH_INFO = '/rest';
      delete environ.HTTP_X_GONE;
      environ['custom.key'] = 42;
      const spread = { ...environ };
      seen = {
        inMethod: 'REQUEST_METHOD' in environ,
        inMissing: 'HTTP_NOT_SENT' in environ,
        keysBefore,
        script: spread.SCRIPT_NAME,
        path: spread.PATH_INFO,
        gone: 'HTTP_X_GONE' in environ,
        goneValue: environ.HTTP_X_GONE,
        custom: JSON.parse(JSON.stringify({ ...environ, 'wsgi.input': null, 'wsgi.errors': null }))['custom.key'],
        hasOwn: Object.prototype.hasOwnProperty.call(environ, 'HTTP_X_KEPT'),
        descriptor: Object.getOwnPropertyDescriptor(environ, 'HTTP_X_KEPT')?.value,
        forIn: (() => { const ks: string[] = []; for (const k in environ) ks.push(k); return ks.includes('HTTP_X_KEPT') && !ks.includes('HTTP_X_GONE'); })(),
      };
      startResponse('200 OK', TEXT);
      return [];
    };
    const s = await start(app, engine);
    const { responses } = await exchangeRaw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\nX-Gone: 1\r\nX-Kept: 2\r\n\r\n');
    expect(responses[0]!.status).toBe(200);
    expect(seen).toEqual({
      inMethod: true, inMissing: false, keysBefore: expect.any(Number), script: '/mount', path: '/rest',
      gone: false, goneValue: undefined, custom: 42, hasOwn: true, descriptor: '2', forIn: true,
    });
    expect(seen.keysBefore as number).toBeGreaterThanOrEqual(20);
  });

  it('stays correct after the app awaits (the engine request is gone by then)', async () => {
    const app: App = async (environ, startResponse) => {
      await new Promise((r) => setTimeout(r, 20));
      startResponse('200 OK', TEXT);
      return [`${environ.REQUEST_METHOD} ${environ.PATH_INFO} ${environ.QUERY_STRING} ${environ.HTTP_X_LATE} ${environ.REMOTE_ADDR} ${Object.keys(environ).includes('HTTP_X_LATE')}`];
    };
    const s = await start(app, engine);
    const { responses } = await exchangeRaw(s.port, 'GET /late?z=9 HTTP/1.1\r\nHost: h\r\nX-Late: yes\r\n\r\n');
    expect(responses[0]!.body.toString()).toBe('GET /late z=9 yes 127.0.0.1 true');
  });

  it('sets wsgi.multiprocess and wsgi.url_scheme from options', async () => {
    const s = await start(echo, engine, { multiprocess: true, urlScheme: 'https' });
    const env = await environOf(s.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    expect(env['wsgi.multiprocess']).toBe(true);
    expect(env['wsgi.url_scheme']).toBe('https');
    expect(env.SERVER_PORT).toBe(String(s.port));
  });
});

describe('environ laziness', () => {
  it('reads nothing of the request until a key is read', async () => {
    const { createEnviron } = await import('../src/environ.js');
    const { BodyInput } = await import('../src/input.js');
    const reads: string[] = [];
    const head = {
      get method() { reads.push('method'); return 'GET'; },
      get target() { reads.push('target'); return '/p?q'; },
      versionMinor: 1, keepAlive: true,
      headerCount() { reads.push('count'); return 1; },
      headerName() { reads.push('name'); return 'X-A'; },
      headerValue() { reads.push('value'); return '1'; },
      header(n: string) { reads.push(`header:${n}`); return n === 'x-a' ? '1' : undefined; },
      get remoteAddress() { reads.push('remote'); return '1.2.3.4'; },
      remotePort: 5, localPort: 80, tls: undefined, isHead: false, detach() {},
    };
    const env: Environ = createEnviron({
      head, input: BodyInput.empty(),
      defaults: { urlScheme: 'http', multiprocess: false, errors: { write() {}, writelines() {}, flush() {} }, fileWrapper: () => [], serverName: 'srv' },
    });
    expect(reads).toEqual([]);
    expect(env.REQUEST_METHOD).toBe('GET');
    expect(env.REQUEST_METHOD).toBe('GET');
    expect(reads).toEqual(['method']);
    expect(env.HTTP_X_A).toBe('1');
    expect(reads).toEqual(['method', 'header:x-a']);
    expect(Object.keys(env)).toContain('HTTP_X_A');
  });
});
