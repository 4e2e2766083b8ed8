// The fetch Request that fromFetch hands a handler, built lazily from the environ.
//
// A fetch framework reads a few members per request (Hono: url, method, sometimes one
// header, then the body), yet a WHATWG Request built up front costs a URL parse, a
// Headers list, an AbortSignal and a body stream every time. This object is a Request
// (its prototype is Request.prototype, so `instanceof Request` holds) whose url, method,
// headers and signal are computed when first read, and whose text()/json()/
// arrayBuffer()/bytes()/blob() read wsgi.input directly: tsgi receives the body before
// the app runs (types.ts InputStream), so no stream is needed. Any other member (body,
// clone(), formData(), cache, …) builds the real Request once and is answered by it;
// from then on the real one answers everything, so the body is read by one path only.

import type { Environ, InputStream } from '../types.js';
import { quoteLatin1, requestUri } from '../util/uri.js';

const READ_SIZE = 64 * 1024;
const NativeRequest = globalThis.Request;

/** The URL of the request below its mount point: scheme, host, PATH_INFO, query. */
function urlBelowMount(environ: Environ): string {
  const full = new URL(requestUri(environ));
  const query = String(environ.QUERY_STRING ?? '');
  return full.origin + (quoteLatin1(String(environ.PATH_INFO || '/'), '/;=,') || '/') + (query ? '?' + query : '');
}

/** The request URL: wsgiref request_uri, or without SCRIPT_NAME when `stripScriptName`. */
export function environUrl(environ: Environ, stripScriptName: boolean): string {
  return stripScriptName && environ.SCRIPT_NAME ? urlBelowMount(environ) : requestUri(environ);
}

/** HTTP_* keys (and CONTENT_TYPE / CONTENT_LENGTH) as fetch Headers (PEP 3333 environ). */
export function environHeaders(environ: Environ): Headers {
  const headers = new globalThis.Headers();
  for (const key of Object.keys(environ)) {
    const value = environ[key];
    if (typeof value !== 'string') continue;
    if (key.startsWith('HTTP_')) headers.append(key.slice(5).toLowerCase().replace(/_/g, '-'), value);
    else if (key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH') headers.set(key.toLowerCase().replace('_', '-'), value);
  }
  return headers;
}

/** wsgi.input as a byte stream, or null for GET and HEAD (fetch: they have no body). */
export function environBody(environ: Environ): ReadableStream<Uint8Array> | null {
  const method = environ.REQUEST_METHOD;
  if (method === 'GET' || method === 'HEAD') return null;
  const input = environ['wsgi.input'] as InputStream;
  return new ReadableStream<Uint8Array>({
    type: 'bytes',
    pull(controller) {
      const chunk = input.read(READ_SIZE);
      if (chunk.length === 0) controller.close();
      else controller.enqueue(new Uint8Array(chunk));
    },
  });
}

/** A URL the WHATWG URL parser would give back unchanged: http(s), a lower-case host
 * name, a path and query of characters it does not percent-encode (URL Standard §1.3
 * "path/query percent-encode set"), no backslash and no dot segments. */
const SIMPLE_URL = /^(https?):\/\/[a-z0-9.-]+(?::(\d{1,5}))?\/[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*$/;

/** The URL as `Request.url` serializes it. Most request URLs are already in that form and
 * are kept without a parse; the rest (an upper-case or IPv6 host, a default port, a dot
 * segment, a character to encode) go through the URL parser, as a real Request would. */
function serializedUrl(raw: string): string {
  const simple = SIMPLE_URL.exec(raw);
  if (simple && !raw.includes('/.')) {
    const port = simple[2];
    if (port === undefined || (port !== (simple[1] === 'https' ? '443' : '80') && port[0] !== '0')) return raw;
  }
  return new URL(raw).href;
}

/** Fetch normalises these methods to upper case (Fetch §2.2.1 "normalize a method"). */
const NORMALISED = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

const EMPTY = new Uint8Array(0);
/** Fetch "UTF-8 decode": replacement characters for bad bytes, a leading BOM dropped. */
const UTF8 = new TextDecoder();

function unusable(): Promise<never> {
  return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
}

export class LazyRequest {
  readonly #environ: Environ;
  readonly #stripScriptName: boolean;
  #url: string | undefined;
  #headers: Headers | undefined;
  #controller: AbortController | undefined;
  #real: Request | undefined;
  #used = false;

  constructor(environ: Environ, stripScriptName: boolean) {
    this.#environ = environ;
    this.#stripScriptName = stripScriptName;
  }

  /** The request is over (its answer was sent or the client left): abort the signal. */
  static abort(request: LazyRequest): void {
    request.#controller?.abort();
  }

  get method(): string {
    const method = String(this.#environ.REQUEST_METHOD);
    if (method === 'GET' || method === 'POST') return method;
    const upper = method.toUpperCase();
    return NORMALISED.has(upper) ? upper : method;
  }

  get url(): string {
    return (this.#url ??= serializedUrl(environUrl(this.#environ, this.#stripScriptName)));
  }

  get headers(): Headers {
    return this.#real ? this.#real.headers : (this.#headers ??= environHeaders(this.#environ));
  }

  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  get bodyUsed(): boolean {
    return this.#used || (this.#real?.bodyUsed ?? false);
  }

  /** The real Request, built once; from then on it answers every member. */
  #materialise(): Request {
    if (this.#real) return this.#real;
    const body = this.#used ? null : environBody(this.#environ);
    const init = { method: this.method, headers: this.headers, body, duplex: 'half', signal: this.signal };
    this.#real = new NativeRequest(this.url, init as RequestInit);
    return this.#real;
  }

  /** Fetch: a Request whose body was read cannot be cloned. */
  clone(): Request {
    if (this.#used) throw new TypeError('Request.clone: Body has already been consumed.');
    return this.#materialise().clone();
  }

  /** The body read once from wsgi.input and converted; a second read is a TypeError
   * (Fetch "consume body": a disturbed body is unusable), a failed read a rejection. */
  #consume<T>(convert: (bytes: Uint8Array) => T): Promise<T> {
    if (this.#used) return unusable();
    this.#used = true;
    try {
      const method = this.#environ.REQUEST_METHOD;
      const bytes = method === 'GET' || method === 'HEAD' ? EMPTY : (this.#environ['wsgi.input'] as InputStream).read();
      return Promise.resolve(convert(bytes));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  text(): Promise<string> {
    if (this.#real && !this.#used) return this.#real.text();
    return this.#consume((bytes) => UTF8.decode(bytes));
  }

  json(): Promise<unknown> {
    if (this.#real && !this.#used) return this.#real.json();
    return this.#consume((bytes) => JSON.parse(UTF8.decode(bytes)) as unknown);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#real && !this.#used) return this.#real.arrayBuffer();
    return this.#consume((bytes) => new Uint8Array(bytes).buffer);
  }

  bytes(): Promise<Uint8Array> {
    if (this.#real && !this.#used) return (this.#real as Request & { bytes(): Promise<Uint8Array> }).bytes();
    return this.#consume((bytes) => new Uint8Array(bytes));
  }

  blob(): Promise<Blob> {
    if (this.#real && !this.#used) return this.#real.blob();
    return this.#consume((bytes) => new Blob([new Uint8Array(bytes)], { type: this.headers.get('content-type') ?? '' }));
  }

  /** A member this class does not answer itself: the real Request's. */
  static delegate(request: LazyRequest): Request {
    return request.#materialise();
  }
}

// Every other Request member (body, clone, formData, cache, mode, …, and the runtime's
// internal symbols, so that `new Request(lazy)` copies it) is the real Request's. The
// list is read from the runtime, so members added by a later Node are covered too.
const own = new Set<string | symbol>(Object.getOwnPropertyNames(LazyRequest.prototype));
const sample = new NativeRequest('http://localhost/');
for (const key of [...Object.getOwnPropertyNames(NativeRequest.prototype), ...Object.getOwnPropertySymbols(sample)]) {
  if (own.has(key) || key === 'constructor') continue;
  const descriptor = typeof key === 'string' ? Object.getOwnPropertyDescriptor(NativeRequest.prototype, key) : undefined;
  if (descriptor && typeof descriptor.value === 'function') {
    Object.defineProperty(LazyRequest.prototype, key, {
      configurable: true, writable: true,
      value(this: LazyRequest, ...args: unknown[]) {
        const real = LazyRequest.delegate(this) as unknown as Record<string | symbol, (...a: unknown[]) => unknown>;
        return real[key]!(...args);
      },
    });
  } else {
    Object.defineProperty(LazyRequest.prototype, key, {
      configurable: true,
      get(this: LazyRequest) { return (LazyRequest.delegate(this) as unknown as Record<string | symbol, unknown>)[key]; },
    });
  }
}
Object.setPrototypeOf(LazyRequest.prototype, NativeRequest.prototype);
