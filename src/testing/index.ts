// tsgi/testing: an in-process test client, in the manner of werkzeug's Client. No
// sockets, and no second server: each request runs through the servers' own gateway and
// response state machine on the memory engine (src/engines/memory.ts), so environ,
// start_response rules, framing, HEAD and close() are exactly a server's. Cookies are
// kept across calls.
//
//   const res = await testClient(app).get('/items', { query: { page: 2 } });
//   expect(res.status).toBe(200); expect(res.json()).toEqual([...]);

import { createMemoryServer } from '../engines/memory-server.js';
import { splitAuthority } from '../request-target.js';
import type { App } from '../types.js';
import { Headers } from '../util/headers.js';
import { encodeQuery } from '../util/query.js';
import { collectingErrors } from '../util/uri.js';
import { CookieJar } from './cookies.js';
import { multipartBody, type MultipartFields } from './multipart-body.js';

export { CookieJar } from './cookies.js';
export { multipartBody, type MultipartFields, type MultipartFile } from './multipart-body.js';

export type HeadersInit = Record<string, string> | Iterable<readonly [string, string]>;

export interface RequestOptions {
  headers?: HeadersInit;
  /** Appended to the path's own query string. */
  query?: string | URLSearchParams | Record<string, unknown>;
  /** Raw request body. */
  body?: string | Uint8Array;
  /** JSON body; sets Content-Type: application/json. */
  json?: unknown;
  /** urlencoded form body; sets Content-Type: application/x-www-form-urlencoded. */
  form?: Record<string, string> | URLSearchParams;
  /** multipart/form-data body: strings are fields, { filename, content, type } files. */
  multipart?: MultipartFields;
  /** Keys merged into the environ after it is built. */
  environ?: Record<string, unknown>;
  /** SERVER_PROTOCOL; default HTTP/1.1. */
  protocol?: 'HTTP/1.0' | 'HTTP/1.1';
}

export interface TestResponse {
  /** Status code, e.g. 200. */
  status: number;
  /** The whole status line the app gave, e.g. "200 OK". */
  statusLine: string;
  /** The response headers as a server sends them: the app's, then Server and Date when
   * the app set none, Connection, and Content-Length or Transfer-Encoding. */
  headers: Headers;
  body: Uint8Array;
  /** body decoded as UTF-8. */
  text: string;
  json<T = unknown>(): T;
  /** What the request wrote to wsgi.errors. */
  errors: string;
  /** The server would have closed the connection before the response was complete
   * (only with `raiseErrors: false`; otherwise such a request rejects). */
  cut: boolean;
}

export interface TestClientOptions {
  /** Host header; default "localhost". */
  host?: string;
  /** wsgi.url_scheme; default "http". */
  scheme?: 'http' | 'https';
  /** REMOTE_ADDR; default "127.0.0.1". */
  remoteAddress?: string;
  /** Keep cookies across requests (default true). */
  cookies?: boolean;
  /** true (default): an application error rejects the request with the error the app
   * threw (or the TsgiError of the rule it broke), so tests see it. false: the request
   * resolves with what a server sends: a 500, or (once the head was sent) the response
   * as far as it went, with `cut: true`; the error is then on `res.errors`. */
  raiseErrors?: boolean;
}

export type MethodCall = (path: string, options?: RequestOptions) => Promise<TestResponse>;

export interface TestClient {
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  get: MethodCall;
  head: MethodCall;
  post: MethodCall;
  put: MethodCall;
  patch: MethodCall;
  delete: MethodCall;
  options: MethodCall;
  readonly cookies: CookieJar;
}

const lastLine = (text: string): string => text.trimEnd().split('\n').pop()!.replace(/^tsgi: /, '');

/** Percent-encode what cannot appear raw in a request-target (RFC 9112 §3.2; RFC 3986). */
function encodeTarget(path: string): string {
  return path.replace(/[^\x21-\x7e]|%(?![0-9A-Fa-f]{2})/gu, (c) => encodeURIComponent(c));
}

function toPairs(init: HeadersInit | undefined): [string, string][] {
  if (!init) return [];
  if (Symbol.iterator in Object(init)) return [...(init as Iterable<readonly [string, string]>)].map(([k, v]) => [k, v]);
  return Object.entries(init as Record<string, string>);
}

export function testClient(app: App, clientOptions: TestClientOptions = {}): TestClient {
  if (typeof app !== 'function') throw new TypeError(`testClient(app): app must be a function, got ${typeof app}`);
  const jar = new CookieJar();
  const scheme = clientOptions.scheme ?? 'http';
  const host = clientOptions.host ?? 'localhost';
  const raiseErrors = clientOptions.raiseErrors ?? true;
  // SERVER_PORT is the port a request arrives on (RFC 3875 §4.1.15): the Host's, as if
  // the server listened there, else the scheme's default.
  const localPort = Number(splitAuthority(host).port) || (scheme === 'https' ? 443 : 80);

  async function request(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
    if (!path.startsWith('/') && path !== '*') throw new TypeError(`testClient: path must start with "/", got ${JSON.stringify(path)}`);
    let target = encodeTarget(path.split('#')[0]!);
    if (options.query !== undefined) {
      const extra = typeof options.query === 'string' ? options.query.replace(/^\?/, '') : encodeQuery(options.query);
      if (extra) target += (target.includes('?') ? '&' : '?') + extra;
    }
    const headers = toPairs(options.headers);
    const has = (name: string): boolean => headers.some(([k]) => k.toLowerCase() === name);
    let body: Uint8Array | undefined;
    let contentType: string | undefined;
    if (options.json !== undefined) {
      body = Buffer.from(JSON.stringify(options.json), 'utf8');
      contentType = 'application/json';
    } else if (options.form !== undefined) {
      body = Buffer.from(encodeQuery(options.form), 'utf8');
      contentType = 'application/x-www-form-urlencoded';
    } else if (options.multipart !== undefined) {
      ({ body, contentType } = multipartBody(options.multipart));
    } else if (options.body !== undefined) {
      body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
    }
    if (!has('host')) headers.unshift(['Host', host]);
    if (contentType && !has('content-type')) headers.push(['Content-Type', contentType]);
    // RFC 9110 §8.6: a user agent sends Content-Length with a body, and 0 for an empty
    // POST/PUT/PATCH; a GET without a body has none (CONTENT_LENGTH absent).
    if (!has('content-length') && (body !== undefined || ['POST', 'PUT', 'PATCH'].includes(method))) {
      headers.push(['Content-Length', String(body?.length ?? 0)]);
    }
    const requestPath = target.split('?')[0]!;
    if (clientOptions.cookies !== false && !has('cookie')) {
      const cookie = jar.header(requestPath);
      if (cookie !== undefined) headers.push(['Cookie', cookie]);
    }
    const errors = collectingErrors();
    let failure: { error: unknown } | undefined;
    const extra = options.environ;
    const server = createMemoryServer(extra ? (environ, startResponse) => { Object.assign(environ, extra); return app(environ, startResponse); } : app, {
      urlScheme: scheme,
      errors,
      serverName: splitAuthority(host).name,
      onFailure: raiseErrors ? (error) => { failure ??= { error }; } : undefined,
    });
    const response = await server.request({
      method,
      target,
      headers: headers.flat(),
      body,
      versionMinor: options.protocol === 'HTTP/1.0' ? 0 : 1,
      remoteAddress: clientOptions.remoteAddress ?? '127.0.0.1',
      remotePort: 40000 + Math.floor(Math.random() * 20000),
      localPort,
    });
    if (raiseErrors) {
      if (failure) throw failure.error;
      if (response.cut) throw new Error(lastLine(errors.text) || 'the server closed the connection before the response was complete');
    }
    const head = response.head;
    const bytes = response.body;
    const responseHeaders = new Headers(head?.headers ?? []);
    if (clientOptions.cookies !== false) for (const setCookie of responseHeaders.getAll('set-cookie')) jar.store(setCookie, requestPath);
    const text = bytes.toString('utf8');
    return {
      status: head?.code ?? 0,
      statusLine: head?.status ?? '',
      cut: response.cut,
      headers: responseHeaders,
      body: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
      text,
      json: <T>() => JSON.parse(text) as T,
      get errors() { return errors.text; },
    };
  }

  const bind = (method: string): MethodCall => (path, options) => request(method, path, options);
  return {
    request,
    get: bind('GET'),
    head: bind('HEAD'),
    post: bind('POST'),
    put: bind('PUT'),
    patch: bind('PATCH'),
    delete: bind('DELETE'),
    options: bind('OPTIONS'),
    cookies: jar,
  };
}
