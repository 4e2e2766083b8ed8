// A fetch Response that defers building the real one, for fromFetch's fast path.
//
// Frameworks answer with `new Response(text, { status, headers })`. The runtime's
// Response builds a Headers list and a ReadableStream for the body up front, and a
// server then reads that stream back chunk by chunk: on Node 20 that costs more than
// the rest of a small request. A LightResponse made from a string, ArrayBuffer,
// Uint8Array or null body keeps the arguments as given; fromFetch reads them directly
// (status, header pairs, the bytes with their Content-Length), and the real Response is
// built only if the application itself reads a member such as headers, body or text().
//
// The fetch framework calls the global `Response`, so the fast path exists only where
// globalThis.Response is this class: overrideGlobalResponse() installs it for the whole
// process, and fromFetch does so unless told not to (option overrideGlobalResponse:
// false), as @hono/node-server does. `instanceof Response` stays true for real and light
// responses alike.

const NativeResponse = globalThis.Response;

type Source = string | Uint8Array | null;

/** RFC 9110 §5.1 token; §5.5 field value: visible and obs-text bytes with inner spaces and
 * tabs (what the runtime's Headers would trim, refuse or re-encode goes to it instead). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;

/** The header pairs of `init`, lower-cased, or undefined when only the runtime's Headers
 * can say what they are (a Headers-like object, an invalid name or value, …). */
function plainHeaders(init: HeadersInit | undefined): [string, string][] | undefined {
  const pairs: [string, string][] = [];
  if (init === undefined) return pairs;
  if (init instanceof globalThis.Headers) {
    init.forEach((value, name) => { if (name !== 'set-cookie') pairs.push([name, value]); });
    for (const cookie of init.getSetCookie()) pairs.push(['set-cookie', cookie]);
    return pairs;
  }
  if (Object.getPrototypeOf(init) !== Object.prototype) return undefined;
  for (const name of Object.keys(init)) {
    const value = (init as Record<string, unknown>)[name];
    if (typeof value !== 'string' || !TOKEN.test(name) || !FIELD_VALUE.test(value)) return undefined;
    const lower = name.toLowerCase();
    // Two spellings of one name: Headers would combine them (Fetch "append").
    if (pairs.length > 0 && pairs.some(([seen]) => seen === lower)) return undefined;
    pairs.push([lower, value]);
  }
  return pairs;
}

/** What fromFetch sends for a LightResponse that was never materialised. */
export interface LightParts {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Source;
}

// Typed as a Response: every member a Response has is one (the rest delegate, below).
export interface LightResponse extends Response {}
export class LightResponse {
  declare static json: typeof Response.json;
  declare static error: typeof Response.error;
  declare static redirect: typeof Response.redirect;
  #source: Source = null;
  #status = 200;
  #statusText = '';
  #headers: [string, string][] = [];
  #real: Response | undefined;

  constructor(body?: BodyInit | null, init?: ResponseInit) {
    // A light response as the init (Hono answers HEAD with `new Response(null, getAnswer)`)
    // lends its parts without being materialised.
    const from = LightResponse.parts(init);
    const status = from ? from.status : init?.status ?? 200;
    const statusText = from ? from.statusText : init?.statusText ?? '';
    const headers = from ? [...from.headers] : plainHeaders(init?.headers);
    const simple = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer;
    // Anything the runtime would reject or rewrite (a status outside 200–599, a body on a
    // null-body status, a stream body, unusual headers) is built by the runtime at once,
    // so that its errors and rules apply unchanged (Fetch §6.4 "Response class").
    const valid = Number.isInteger(status) && status >= 200 && status <= 599 && typeof statusText === 'string' && /^[\t\x20-\x7e\x80-\xff]*$/.test(statusText);
    const nullBodyStatus = status === 204 || status === 205 || status === 304;
    if (!simple || !valid || headers === undefined || (nullBodyStatus && body != null)) {
      this.#real = new NativeResponse(body, init);
      return;
    }
    // Fetch: the body is a copy of the bytes given (later writes to them do not show).
    this.#source = body == null ? null : typeof body === 'string' ? body : new Uint8Array(body instanceof ArrayBuffer ? body.slice(0) : body.slice());
    if (typeof body === 'string' && !headers.some(([name]) => name === 'content-type')) headers.push(['content-type', 'text/plain;charset=UTF-8']);
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = headers;
  }

  /** The parts of a light response not yet materialised, else undefined (read it as a Response). */
  static parts(response: unknown): LightParts | undefined {
    // A brand check, not instanceof: every Response is `instanceof LightResponse`.
    if (typeof response !== 'object' || response === null || !(#source in response) || response.#real) return undefined;
    return { status: response.#status, statusText: response.#statusText, headers: response.#headers, body: response.#source };
  }

  /** The real Response, built once from what the light one would have sent (the init as
   * it was at construction, as the runtime copies it); from then on it answers every member. */
  static materialise(response: LightResponse): Response {
    if (!response.#real) {
      const init = { status: response.#status, statusText: response.#statusText, headers: response.#headers };
      response.#real = new NativeResponse(response.#source as BodyInit | null, init);
    }
    return response.#real;
  }

  get status(): number { return this.#real ? this.#real.status : this.#status; }
  get ok(): boolean { return this.status >= 200 && this.status <= 299; }
  get statusText(): string { return this.#real ? this.#real.statusText : this.#statusText; }

  static {
    Object.defineProperty(this, Symbol.hasInstance, {
      // A real Response is a Response too, though its prototype is not this class's.
      value: (value: unknown) => value instanceof NativeResponse,
    });
  }
}

// Every other member (headers, body, clone, text, type, url, …) is the real Response's;
// the list is read from the runtime, so members added by a later Node are covered too.
const own = new Set<string | symbol>(Object.getOwnPropertyNames(LightResponse.prototype));
for (const key of Object.getOwnPropertyNames(NativeResponse.prototype)) {
  if (own.has(key)) continue;
  const descriptor = Object.getOwnPropertyDescriptor(NativeResponse.prototype, key)!;
  if (typeof descriptor.value === 'function') {
    Object.defineProperty(LightResponse.prototype, key, {
      configurable: true, writable: true,
      value(this: LightResponse, ...args: unknown[]) {
        const real = LightResponse.materialise(this) as unknown as Record<string, (...a: unknown[]) => unknown>;
        return real[key]!(...args);
      },
    });
  } else {
    Object.defineProperty(LightResponse.prototype, key, {
      configurable: true,
      get(this: LightResponse) { return (LightResponse.materialise(this) as unknown as Record<string, unknown>)[key]; },
    });
  }
}
// Response.json(), Response.error(), Response.redirect() and the prototype chain: a light
// response is `instanceof` the runtime's Response and has all of its members.
Object.setPrototypeOf(LightResponse.prototype, NativeResponse.prototype);
Object.setPrototypeOf(LightResponse, NativeResponse);

/** Make globalThis.Response the LightResponse class (idempotent, process-wide). */
export function overrideGlobalResponse(): void {
  if (globalThis.Response !== (LightResponse as unknown as typeof Response)) {
    Object.defineProperty(globalThis, 'Response', { value: LightResponse, writable: true, configurable: true, enumerable: false });
  }
}
