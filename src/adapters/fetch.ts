// Between tsgi apps and the fetch API (WHATWG Fetch Request / Response), streaming in
// both directions:
//   fromFetch(handler): a fetch-style (Request) => Response handler as a tsgi app.
//   toFetch(app):       a tsgi app as (Request) => Promise<Response>, for fetch-based
//                       runtimes and frameworks.

import { STATUS_CODES } from 'node:http';
import { createErrorStream } from '../error-stream.js';
import { fileWrapper } from '../file-wrapper.js';
import { BodyInput } from '../input.js';
import type { App, Body, Environ, ErrorStream, InputStream, StartResponse } from '../types.js';
import { driveApp } from '../util/drive-app.js';
import { buildEnviron } from '../util/request-head.js';
import { requestUri } from '../util/uri.js';
import { receiveStream, type BodyLimits } from './receive.js';
import { HOP_BY_HOP } from '../util/hop-by-hop.js';

export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** PEP 3333 "Other HTTP Features": hop-by-hop fields are the server's. */
const READ_SIZE = 64 * 1024;

/** The request as a fetch Request: URL from wsgiref request_uri, HTTP_* keys as headers,
 * wsgi.input streamed as the body. */
export function environToRequest(environ: Environ, signal?: AbortSignal): Request {
  const headers = new globalThis.Headers();
  for (const key of Object.keys(environ)) {
    const value = environ[key];
    if (typeof value !== 'string') continue;
    if (key.startsWith('HTTP_')) headers.append(key.slice(5).toLowerCase().replace(/_/g, '-'), value);
    else if (key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH') headers.set(key.toLowerCase().replace('_', '-'), value);
  }
  const method = environ.REQUEST_METHOD;
  const input = environ['wsgi.input'] as InputStream;
  let body: ReadableStream<Uint8Array> | null = null;
  if (method !== 'GET' && method !== 'HEAD') {
    body = new ReadableStream<Uint8Array>({
      type: 'bytes',
      pull(controller) {
        const chunk = input.read(READ_SIZE);
        if (chunk.length === 0) controller.close();
        else controller.enqueue(new Uint8Array(chunk));
      },
    });
  }
  return new Request(requestUri(environ), { method, headers, body, duplex: 'half', signal } as RequestInit);
}

export function fromFetch(handler: FetchHandler): App {
  if (typeof handler !== 'function') throw new TypeError(`fromFetch(handler): handler must be a function, got ${typeof handler}`);
  return async function fetchApp(environ: Environ, startResponse: StartResponse): Promise<Body> {
    const controller = new AbortController();
    const response = await handler(environToRequest(environ, controller.signal));
    const headers: [string, string][] = [];
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie' && !HOP_BY_HOP.has(name)) headers.push([name, value]);
    });
    for (const cookie of response.headers.getSetCookie()) headers.push(['set-cookie', cookie]);
    const reason = response.statusText || STATUS_CODES[response.status] || 'Unknown';
    startResponse(`${response.status} ${reason}`, headers);
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
        if (!done) void reader.cancel().catch(() => {});
        controller.abort();
      },
    } as AsyncIterable<Uint8Array> & { close(): void };
  };
}

export interface ToFetchOptions extends BodyLimits {
  /** REMOTE_ADDR; default "" (the fetch API does not say who the client is). */
  remoteAddress?: string;
  /** wsgi.errors; default process.stderr. */
  errors?: ErrorStream;
}

export function toFetch(app: App, options: ToFetchOptions = {}): (request: Request) => Promise<Response> {
  const errors = options.errors ?? createErrorStream(undefined);
  return async function fetchHandler(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const headers: string[] = [];
    request.headers.forEach((value, name) => { headers.push(name, value); });
    if (!request.headers.has('host')) headers.unshift('host', url.host);
    const declared = request.headers.get('content-length');
    let input: BodyInput;
    try {
      input = request.body ? await receiveStream(request.body as unknown as AsyncIterable<Uint8Array>, declared !== null ? Number(declared) : -1, options) : BodyInput.empty();
    } catch (error) {
      const status = (error as { status?: number }).status === 413 ? 413 : 400;
      return new Response(status === 413 ? 'Content Too Large\n' : 'Bad Request\n', { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    }
    const urlScheme = url.protocol === 'https:' ? 'https' : 'http';
    const environ = buildEnviron({
      method: request.method,
      // The URL parser has already percent-encoded the path and query.
      target: url.pathname + url.search,
      headers,
      remoteAddress: options.remoteAddress ?? '',
      localPort: Number(url.port) || (urlScheme === 'https' ? 443 : 80),
    }, input, { urlScheme, multiprocess: false, errors, fileWrapper, serverName: url.hostname });
    let response;
    try {
      response = await driveApp(app, environ, { method: request.method, enforceLength: true, input, errors });
    } catch (error) {
      errors.write(`tsgi: error in application: ${error instanceof Error ? error.stack : String(error)}\n`);
      return new Response('Internal Server Error\n', { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    }
    const responseHeaders = new globalThis.Headers();
    for (const [name, value] of response.headers) responseHeaders.append(name, value);
    if (response.contentLength < 0 && response.knownLength >= 0 && response.code !== 204) responseHeaders.set('content-length', String(response.knownLength));
    const init = { status: response.code, statusText: response.status.slice(4), headers: responseHeaders };
    const noBody = request.method === 'HEAD' || response.code === 204 || response.code === 304;
    if (noBody) {
      // The app still runs to the end and is closed, as under a server.
      try { for await (const _ of response.body) { /* dropped */ } } finally { response.close(); }
      return new Response(null, init);
    }
    const iterator = response.body;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const step = await iterator.next();
          if (step.done) { response.close(); controller.close(); } else controller.enqueue(step.value);
        } catch (error) {
          errors.write(`tsgi: error in application: ${error instanceof Error ? error.stack : String(error)}\n`);
          response.close();
          controller.error(error);
        }
      },
      cancel() {
        void iterator.return(undefined);
        response.close();
      },
    });
    return new Response(stream, init);
  };
}
