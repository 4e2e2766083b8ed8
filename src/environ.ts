// The one place that builds environ (PEP 3333 "environ Variables").
//
// The environ is lazily materialized: it is a Proxy over an ordinary object that starts
// empty. A key is computed from the engine's RequestHead the first time the app reads
// it, then stored in the object, so later reads are plain property reads. Listing the
// keys (Object.keys, spread, JSON.stringify, for-in) materializes everything once. To the
// app it is a normal mutable object: assignment and `delete` work, and a deleted key is
// never resurrected from the request.
//
// Lifetime: an engine's RequestHead may be backed by memory the engine reuses for the
// next request once its callback returns (contract.ts). When a response finished
// inside that callback, the gateway calls expire(): keys already read stay readable, and
// a key computed from the head later throws HeadExpiredError (TSGI_ERR_HEAD_EXPIRED),
// the same on every engine, instead of reading another request's bytes. We chose this
// over a snapshot at the end of each response because the cheapest snapshot, native
// detach() (copy the record and the head bytes), costs about 250 ns for wrk's hello
// request: 4% of the native engine's 6.2 us of CPU per hello request, 45% of its 0.55 us
// pipelined (issue 13; the budget was 2%). Materializing every key ({...environ}) costs
// about 24 us (npm run bench:micro). Responses that end later were detached before the
// callback returned, so their environ stays fully readable.

import type { RequestHead, TlsFacts } from './contract.js';
import { HeadExpiredError } from './errors.js';
import type { Environ, ErrorStream, FileWrapperFactory, InputStream } from './types.js';
import { decodePathInfo, splitAuthority } from './request-target.js';

/** Per-server values shared by every environ of that server. */
export interface EnvironDefaults {
  urlScheme: string;
  multiprocess: boolean;
  errors: ErrorStream;
  fileWrapper: FileWrapperFactory;
  /** SERVER_NAME when the request has no Host (PEP 3333: the server's own name). */
  serverName: string;
}

/** Everything an environ is computed from. */
export interface EnvironSource {
  head: RequestHead;
  defaults: EnvironDefaults;
  input: InputStream;
}

type Compute = (s: EnvironState) => unknown;

/** RFC 9112 §3.2.2: absolute-form; its authority replaces Host. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/;

/** Split the request-target into path, query and authority, once, on first need. */
function parseTarget(s: EnvironState): EnvironState {
  if (s.parsed) return s;
  let target = s.head.target;
  if (target.charCodeAt(0) !== 47 /* / */ && target !== '*') {
    const m = ABSOLUTE_FORM.exec(target);
    if (m) {
      s.authority = m[1]!.replace(/^[^@]*@/, '');
      target = target.slice(m[0].length) || '/';
    }
  }
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const q = target.indexOf('?');
  s.path = q === -1 ? target : target.slice(0, q);
  s.query = q === -1 ? '' : target.slice(q + 1);
  s.parsed = true;
  return s;
}

function hostOf(s: EnvironState): string | undefined {
  return parseTarget(s).authority ?? s.head.header('host');
}

const defaultPort = (scheme: string): string => (scheme === 'https' ? '443' : '80');

/** The connection's TLS facts when its listener requested client certificates. */
function clientFacts(s: EnvironState): TlsFacts | undefined {
  const tls = s.head.tls;
  return tls !== undefined && tls.clientCertRequested ? tls : undefined;
}

/** The CGI and wsgi.* keys, in the order Object.keys reports them. */
const FIXED: ReadonlyArray<readonly [string, Compute]> = [
  ['REQUEST_METHOD', (s) => s.head.method],
  ['SCRIPT_NAME', () => ''],
  // PEP 3333 "Unicode Issues" / gunicorn: percent-decoded, one latin-1 unit per byte.
  ['PATH_INFO', (s) => decodePathInfo(parseTarget(s).path)],
  ['QUERY_STRING', (s) => parseTarget(s).query],
  // CGI (RFC 3875 §4.1.3, §4.1.2): present only when the request carries them.
  ['CONTENT_TYPE', (s) => s.head.header('content-type')],
  ['CONTENT_LENGTH', (s) => s.head.header('content-length')],
  ['SERVER_NAME', (s) => {
    const host = hostOf(s);
    return host ? splitAuthority(host).name : s.defaults.serverName;
  }],
  // CGI (RFC 3875 §4.1.15): "the TCP/IP port on which this request was received", as
  // wsgiref, waitress and werkzeug give it; not the Host's port, which a proxy in front
  // may have set to anything (HTTP_HOST keeps it for URL reconstruction). Where there is
  // no port (a Unix socket), the Host's, else the scheme's default.
  ['SERVER_PORT', (s) => {
    if (s.head.localPort > 0) return String(s.head.localPort);
    const host = hostOf(s);
    return (host && splitAuthority(host).port) || defaultPort(s.defaults.urlScheme);
  }],
  ['SERVER_PROTOCOL', (s) => (s.head.versionMinor === 0 ? 'HTTP/1.0' : 'HTTP/1.1')],
  ['REMOTE_ADDR', (s) => s.head.remoteAddress],
  ['REMOTE_PORT', (s) => (s.head.remotePort ? String(s.head.remotePort) : '')],
  ['wsgi.version', () => [1, 0]],
  ['wsgi.url_scheme', (s) => s.defaults.urlScheme],
  ['wsgi.input', (s) => s.input],
  ['wsgi.errors', (s) => s.defaults.errors],
  // One JS thread runs the app; concurrent requests interleave only at await points.
  ['wsgi.multithread', () => false],
  ['wsgi.multiprocess', (s) => s.defaults.multiprocess],
  ['wsgi.run_once', () => false],
  // The whole body is received before the app runs: read() returns EOF at its end.
  ['wsgi.input_terminated', () => true],
  ['wsgi.file_wrapper', (s) => s.defaults.fileWrapper],
  // TLS: the names of Apache mod_ssl ("Environment Variables") that nginx and gunicorn
  // also give and WSGI apps already read; present only on a TLS connection. The client
  // certificate keys only where the listener asked for one (mod_ssl's SSLVerifyClient).
  ['HTTPS', (s) => (s.head.tls !== undefined ? 'on' : undefined)],
  ['SSL_PROTOCOL', (s) => s.head.tls?.protocol],
  ['SSL_CIPHER', (s) => s.head.tls?.cipher],
  ['SSL_CLIENT_VERIFY', (s) => clientFacts(s)?.verify],
  ['SSL_CLIENT_S_DN', (s) => clientFacts(s)?.peerSubject],
];
const FIXED_INDEX = new Map<string, number>(FIXED.map(([k], i) => [k, i]));
const ALL_FIXED = (1 << FIXED.length) - 1;

/** CGI (RFC 3875 §4.1.18): HTTP_ + upper-cased name, '-' → '_'. Content-Type and
 * Content-Length have their own keys. Names containing '_' are dropped, as gunicorn
 * does, so that `X_Forwarded_For` cannot pose as `X-Forwarded-For`. */
export function headerKey(name: string): string | undefined {
  let key = keyCache.get(name);
  if (key === undefined) {
    const lower = name.toLowerCase();
    key = name.indexOf('_') !== -1 || lower === 'content-type' || lower === 'content-length'
      ? null
      : 'HTTP_' + name.toUpperCase().replace(/-/g, '_');
    if (keyCache.size < NAME_CACHE_MAX) keyCache.set(name, key);
  }
  return key ?? undefined;
}

/** Apps and clients use a few dozen header names: their CGI forms are cached (bounded,
 * so hostile names cannot grow the maps). */
const NAME_CACHE_MAX = 1024;
const keyCache = new Map<string, string | null>();
const nameCache = new Map<string, string | null>();

/** The lowercase header name an HTTP_ key stands for, or undefined. */
function headerNameOf(key: string): string | undefined {
  let name = nameCache.get(key);
  if (name === undefined) {
    name = null;
    if (key.length > 5 && key.startsWith('HTTP_')) {
      const rest = key.slice(5);
      // Only keys that headerKey could produce (upper case) map back to a header.
      if (rest !== 'CONTENT_TYPE' && rest !== 'CONTENT_LENGTH' && rest === rest.toUpperCase()) {
        name = rest.toLowerCase().replace(/_/g, '-');
      }
    }
    if (nameCache.size < NAME_CACHE_MAX) nameCache.set(key, name);
  }
  return name ?? undefined;
}

/** Everything an environ is computed from, and what it computed so far: source, target
 * parts and lazy bookkeeping. It is also the Proxy handler (one class, no subclass, so
 * V8 allocates it inline): one object per request. */
class EnvironState implements ProxyHandler<Record<string, unknown>> {
  /** Bit i set: FIXED[i] not yet computed (and not deleted). */
  pending = ALL_FIXED;
  /** Headers still lazy (false once every header was materialized). */
  headersPending = true;
  /** Keys the app deleted while still lazy: never recompute them. */
  deleted: Set<string> | undefined = undefined;
  // The parsed request-target (parseTarget).
  parsed = false;
  path = '';
  query = '';
  /** Authority of an absolute-form target (RFC 9112 §3.2.2), else undefined. */
  authority: string | undefined = undefined;
  constructor(public head: RequestHead, readonly defaults: EnvironDefaults, readonly input: InputStream) {}

  /** The request is over and its head may be gone: later reads of the head throw. */
  expire(): void {
    this.head = EXPIRED_HEAD;
  }

  /** Compute `key` into target if it is a lazy key still pending. */
  materialize(target: Record<string, unknown>, key: string): void {
    if (this.head === EXPIRED_HEAD) return this.materializeExpired(target, key);
    this.compute(target, key);
  }

  /** After expire(): keys that need no head (wsgi.*, SCRIPT_NAME, a path already parsed)
   * still compute; the others throw, naming the key. */
  private materializeExpired(target: Record<string, unknown>, key: string): void {
    try {
      this.compute(target, key);
    } catch (error) {
      throw error instanceof HeadExpiredError ? new HeadExpiredError(key) : error;
    }
  }

  private compute(target: Record<string, unknown>, key: string): void {
    const i = FIXED_INDEX.get(key);
    if (i !== undefined) {
      const bit = 1 << i;
      if ((this.pending & bit) === 0) return;
      this.pending &= ~bit;
      const value = FIXED[i]![1](this);
      if (value !== undefined) target[key] = value;
      return;
    }
    if (!this.headersPending || (this.deleted !== undefined && this.deleted.has(key))) return;
    const name = headerNameOf(key);
    if (name === undefined) return;
    const value = this.head.header(name);
    // absolute-form: RFC 9112 §3.2.2, the target's authority replaces Host.
    if (name === 'host') {
      const authority = parseTarget(this).authority;
      if (authority !== undefined) { target[key] = authority; return; }
    }
    if (value !== undefined) target[key] = value;
  }

  materializeAll(target: Record<string, unknown>): void {
    if (this.head !== EXPIRED_HEAD) return this.computeAll(target);
    try {
      this.computeAll(target);
    } catch (error) {
      throw error instanceof HeadExpiredError ? new HeadExpiredError() : error;
    }
  }

  private computeAll(target: Record<string, unknown>): void {
    if (this.pending !== 0) for (const [key] of FIXED) this.materialize(target, key);
    if (!this.headersPending) return;
    const head = this.head;
    const n = head.headerCount();
    for (let i = 0; i < n; i++) {
      const key = headerKey(head.headerName(i));
      if (key !== undefined && !Object.hasOwn(target, key)) this.materialize(target, key);
    }
    if (parseTarget(this).authority !== undefined && !Object.hasOwn(target, 'HTTP_HOST')) {
      this.materialize(target, 'HTTP_HOST');
    }
    this.headersPending = false;
  }

  forget(key: string): void {
    const i = FIXED_INDEX.get(key);
    if (i !== undefined) { this.pending &= ~(1 << i); return; }
    if (this.headersPending) (this.deleted ??= new Set()).add(key);
  }

  // ProxyHandler traps: the handler carries the lazy state, so the target stays a plain
  // empty object (no hidden key to filter) and an environ costs three small allocations.
  get(target: Record<string, unknown>, key: string | symbol): unknown {
    if (typeof key === 'string' && !Object.hasOwn(target, key)) this.materialize(target, key);
    return target[key as string];
  }
  has(target: Record<string, unknown>, key: string | symbol): boolean {
    if (typeof key === 'string' && !Object.hasOwn(target, key)) this.materialize(target, key);
    return key in target;
  }
  getOwnPropertyDescriptor(target: Record<string, unknown>, key: string | symbol): PropertyDescriptor | undefined {
    if (typeof key === 'string' && !Object.hasOwn(target, key)) this.materialize(target, key);
    return Reflect.getOwnPropertyDescriptor(target, key);
  }
  ownKeys(target: Record<string, unknown>): (string | symbol)[] {
    this.materializeAll(target);
    return Reflect.ownKeys(target);
  }
  set(target: Record<string, unknown>, key: string | symbol, value: unknown): boolean {
    (target as Record<string | symbol, unknown>)[key] = value;
    return true;
  }
  deleteProperty(target: Record<string, unknown>, key: string | symbol): boolean {
    if (typeof key === 'string') this.forget(key);
    return delete (target as Record<string | symbol, unknown>)[key];
  }
}

const expired = (): never => { throw new HeadExpiredError(); };
/** The head of an environ after expire(): every read throws. */
const EXPIRED_HEAD: RequestHead = {
  get method(): string { return expired(); },
  get target(): string { return expired(); },
  get isHead(): boolean { return expired(); },
  get versionMinor(): number { return expired(); },
  get keepAlive(): boolean { return expired(); },
  headerCount: expired,
  headerName: expired,
  headerValue: expired,
  header: expired,
  get remoteAddress(): string { return expired(); },
  get remotePort(): number { return expired(); },
  get localPort(): number { return expired(); },
  get tls(): TlsFacts | undefined { return expired(); },
  detach(): void { /* nothing left to copy */ },
};

/** Build the environ for one request. Costs one object and one Proxy; nothing of the
 * request is read until the app asks for it. */
export function createEnviron(src: EnvironSource): Environ {
  return environFor(src.head, src.defaults, src.input);
}

/** createEnviron without the source object (the gateway's per-request path). */
export function environFor(head: RequestHead, defaults: EnvironDefaults, input: InputStream): Environ {
  return new Proxy({}, new EnvironState(head, defaults, input)) as unknown as Environ;
}

/** The gateway's form: the environ and the handle that expires it (no extra allocation). */
export function lazyEnviron(state: EnvironState): Environ {
  return new Proxy({}, state) as unknown as Environ;
}
export { EnvironState };
