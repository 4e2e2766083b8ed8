// Between tsgi apps and the fetch API (WHATWG Fetch Request / Response), streaming in
// both directions:
//   fromFetch(handler): a fetch-style (Request) => Response handler as a tsgi app.
//   toFetch(app):       a tsgi app as (Request) => Promise<Response>, for fetch-based
//                       runtimes and frameworks.

import { STATUS_CODES } from 'node:http';
import { createErrorStream } from '../error-stream.js';
import { createMemoryServer, type MemoryServer } from '../engines/memory-server.js';
import type { App, Body, Environ, ErrorStream, StartResponse } from '../types.js';
import { environBody, environHeaders, environUrl, LazyRequest } from './lazy-request.js';
import { LightResponse, overrideGlobalResponse, type LightParts } from './light-response.js';
import type { BodyLimits } from './receive.js';
import { HOP_BY_HOP } from '../util/hop-by-hop.js';

export type FetchHandler = (request: Request) => Response | Promise<Response>;

export interface EnvironToRequestOptions {
  /** Leave SCRIPT_NAME (the prefix the app is mounted under) out of the URL, so that
   * the URL's path is PATH_INFO. Default false: the full URL (wsgiref request_uri). */
  stripScriptName?: boolean;
}

/** The request as a fetch Request: URL from wsgiref request_uri (without SCRIPT_NAME
 * when `stripScriptName`), HTTP_* keys as headers, wsgi.input streamed as the body. */
export function environToRequest(environ: Environ, signal?: AbortSignal, options: EnvironToRequestOptions = {}): Request {
  const init = { method: environ.REQUEST_METHOD, headers: environHeaders(environ), body: environBody(environ), duplex: 'half', signal };
  return new Request(environUrl(environ, options.stripScriptName ?? false), init as RequestInit);
}

export interface FromFetchOptions {
  /** The handler sees the URL below the mount point: mounted at /hono (tsgi's mount(),
   * proxyFix's X-Forwarded-Prefix, toNodeListener under express), a request for
   * /hono/users reaches it as /users, which is what a fetch framework routes on (as
   * express strips a mount path from req.url). Default true; false gives the full URL. */
  stripScriptName?: boolean;
  /** Make globalThis.Response tsgi's LightResponse, process-wide (see light-response.ts):
   * a response made from a string, ArrayBuffer, Uint8Array or null is then sent from its
   * arguments, without a Headers list or a body stream. Default true, as in
   * @hono/node-server: the runtime's Response read back as a stream costs several times
   * a small request's other work (bench/micro/from-fetch.bench.ts). false leaves the
   * global alone; handlers can still return `new LightResponse(…)` themselves. */
  overrideGlobalResponse?: boolean;
}

const NO_CLOSE = (): void => {};

/** PEP 3333 "Other HTTP Features": hop-by-hop fields are the server's; Set-Cookie kept apart. */
function appHeaders(pairs: Iterable<[string, string]>): [string, string][] {
  const headers: [string, string][] = [];
  for (const pair of pairs) if (!HOP_BY_HOP.has(pair[0])) headers.push(pair);
  return headers;
}

/** A light response: its bytes as one body with their Content-Length (no stream). */
function sendLight(parts: LightParts, startResponse: StartResponse): Body {
  const headers = appHeaders(parts.headers);
  const body = parts.body === null ? undefined : typeof parts.body === 'string' ? Buffer.from(parts.body, 'utf8') : parts.body;
  if (body && !headers.some(([name]) => name === 'content-length')) headers.push(['content-length', String(body.byteLength)]);
  startResponse(`${parts.status} ${parts.statusText || STATUS_CODES[parts.status] || 'Unknown'}`, headers);
  return body ? [body] : [];
}

/** Any other Response: its headers, and its body read as a stream. */
function sendStream(response: Response, startResponse: StartResponse, request: LazyRequest): Body {
  const pairs: [string, string][] = [];
  response.headers.forEach((value, name) => { if (name !== 'set-cookie') pairs.push([name, value]); });
  for (const cookie of response.headers.getSetCookie()) pairs.push(['set-cookie', cookie]);
  const reason = response.statusText || STATUS_CODES[response.status] || 'Unknown';
  startResponse(`${response.status} ${reason}`, appHeaders(pairs));
  if (!response.body) return [];
  const reader = response.body.getReader();
  let done = false;
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const step = await reader.read();
        if (step.done) { done = true; return; }
        yield step.value;
      }
    },
    // PEP 3333: close() releases the body; a fetch body is cancelled.
    close() {
      if (!done) void reader.cancel().catch(NO_CLOSE);
      LazyRequest.abort(request);
    },
  } as AsyncIterable<Uint8Array> & { close(): void };
}

export function fromFetch(handler: FetchHandler, options: FromFetchOptions = {}): App {
  if (typeof handler !== 'function') throw new TypeError(`fromFetch(handler): handler must be a function, got ${typeof handler}`);
  const stripScriptName = options.stripScriptName ?? true;
  if (options.overrideGlobalResponse ?? true) overrideGlobalResponse();
  const send = (response: Response, startResponse: StartResponse, request: LazyRequest): Body => {
    const parts = LightResponse.parts(response);
    if (!parts) {
      if (!(response instanceof Response)) {
        throw new TypeError(`fromFetch: the handler must return a Response (or a promise of one), got ${response === null ? 'null' : typeof response}`);
      }
      return sendStream(response, startResponse, request);
    }
    // The answer is complete: to the handler, the request is over (its signal aborts).
    LazyRequest.abort(request);
    return sendLight(parts, startResponse);
  };
  return function fetchApp(environ: Environ, startResponse: StartResponse): Body | Promise<Body> {
    // Built on demand (lazy-request.ts); `instanceof Request` holds.
    const request = new LazyRequest(environ, stripScriptName);
    const response = handler(request as unknown as Request);
    // A handler that answers synchronously (Hono does, for a synchronous route) gets a
    // synchronous app: the gateway then needs no promise turn for it.
    if (response instanceof Promise) return response.then((r) => send(r, startResponse, request));
    if (typeof (response as { then?: unknown })?.then === 'function') {
      return Promise.resolve(response).then((r) => send(r, startResponse, request));
    }
    return send(response, startResponse, request);
  };
}

export interface ToFetchOptions extends BodyLimits {
  /** REMOTE_ADDR; default "" (the fetch API does not say who the client is). */
  remoteAddress?: string;
  /** wsgi.errors; default process.stderr. */
  errors?: ErrorStream;
}

const TEXT_PLAIN = { 'content-type': 'text/plain; charset=utf-8' };

/** The app behind the servers' own gateway on the memory engine: environ, start_response
 * rules, framing, HEAD and close() are a server's; the runtime around it writes Date,
 * Connection and framing, so only the app's headers and a Content-Length pass. */
export function toFetch(app: App, options: ToFetchOptions = {}): (request: Request) => Promise<Response> {
  const errors = options.errors ?? createErrorStream(undefined);
  const servers = new Map<string, MemoryServer>();
  const serverFor = (urlScheme: string, serverName: string): MemoryServer => {
    let server = servers.get(urlScheme);
    if (!server) {
      server = createMemoryServer(app, { ...options, serverHeader: undefined, urlScheme, errors, serverName });
      servers.set(urlScheme, server);
    }
    return server;
  };
  return function fetchHandler(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const headers: string[] = [];
    request.headers.forEach((value, name) => { headers.push(name, value); });
    if (!request.headers.has('host')) headers.unshift('host', url.host);
    const urlScheme = url.protocol === 'https:' ? 'https' : 'http';
    return new Promise<Response>((resolve) => {
      let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
      let answered = false;
      const exchange = serverFor(urlScheme, url.hostname).open({
        method: request.method,
        // The URL parser has already percent-encoded the path and query.
        target: url.pathname + url.search,
        headers,
        body: request.body ? (request.body as unknown as AsyncIterable<Uint8Array>) : undefined,
        remoteAddress: options.remoteAddress ?? '',
        localPort: Number(url.port) || (urlScheme === 'https' ? 443 : 80),
      }, {
        continued: () => {},
        head: (head) => {
          answered = true;
          const responseHeaders = new globalThis.Headers();
          for (const [name, value] of head.appHeaders) responseHeaders.append(name, value);
          if (head.contentLength >= 0) responseHeaders.set('content-length', String(head.contentLength));
          const init = { status: head.code, statusText: head.status.slice(4), headers: responseHeaders };
          if (head.noBody) return resolve(new Response(null, init));
          resolve(new Response(new ReadableStream<Uint8Array>({
            start(controller) { stream = controller; },
            pull() { exchange.drained(); },
            // The consumer stopped reading: to the app, the client left (close() runs).
            cancel() { exchange.leave(); },
          }), init));
        },
        data: (chunk) => {
          stream!.enqueue(new Uint8Array(chunk));
          return (stream!.desiredSize ?? 0) > 0;
        },
        end: () => stream?.close(),
        cut: () => stream?.error(new Error('tsgi: the response ended before it was complete (see wsgi.errors)')),
        // The request body failed or stopped short of its Content-Length.
        left: () => {
          if (!answered) resolve(new Response('Bad Request\n', { status: 400, headers: TEXT_PLAIN }));
        },
      });
    });
  };
}
