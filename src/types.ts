// Public types of tsgi: PEP 3333 (WSGI) expressed in TypeScript.
// Every name here is part of the public API; other tools depend on them.

import type { TlsOptions } from './tls-options.js';
export type { TlsOptions, TlsVersion } from './tls-options.js';

// ---------------------------------------------------------------- body ----

/** One piece of a response body. A string is sent as UTF-8 text (PEP 3333 wants
 * bytestrings; JS has no bytes literal, so we accept text and encode it). */
export type Chunk = Uint8Array | string;

/** A string is iterable (one character at a time), so without this a bare string would
 * type-check as a body: the most common WSGI mistake (PEP 3333 "Buffering and Streaming":
 * a body is an iterable of bytestrings; in Python returning a str yields characters).
 * Return `[text]`, not `text`. */
export interface NotABareString {
  charAt?: never;
}

/** PEP 3333: "the application object must return an iterable yielding zero or more
 * bytestrings". JS adds async iterables for bodies produced with await. PEP 3333: "If
 * the iterable returned by the application has a close() method, the server or gateway
 * must call that method upon completion of the current request". A bare string is
 * rejected by the type (see NotABareString) and at run time (InvalidBodyError). */
export type Body = (Iterable<Chunk> | AsyncIterable<Chunk>) & NotABareString & { close?: () => void };

/** One response header as PEP 3333 has it: a (name, value) tuple. Read-only, so that
 * `as const` header lists are accepted. */
export type HeaderTuple = readonly [name: string, value: string];

/** The headers argument of start_response: a list of (name, value) tuples. */
export type ResponseHeaders = readonly HeaderTuple[];

/** PEP 3333 "The write() Callable": imperative, unbuffered output. */
export type WriteCallable = (chunk: Chunk) => void;

/** PEP 3333 "The start_response() Callable". */
export type StartResponse = (
  status: string,
  headers: ResponseHeaders,
  excInfo?: unknown,
) => WriteCallable;

/** PEP 3333 "The Application/Framework Side". */
export type App = (environ: Environ, startResponse: StartResponse) => Body | Promise<Body>;
export type Application = App;

// ------------------------------------------------------------- environ ----

/** PEP 3333 "Input and Error Streams": wsgi.input. Synchronous, returns bytes. */
export interface InputStream extends Iterable<Uint8Array> {
  read(size?: number | null): Uint8Array;
  readline(size?: number | null): Uint8Array;
  readlines(hint?: number | null): Uint8Array[];
  /** Bytes not yet read (tsgi extension, cheap: the body is received before the app runs). */
  readonly remaining: number;
  close(): void;
}

/** PEP 3333 "Input and Error Streams": wsgi.errors. */
export interface ErrorStream {
  write(text: string): void;
  writelines(lines: Iterable<string>): void;
  flush(): void;
}

/** PEP 3333 "Optional Platform-Specific File Handling". */
export type FileWrapperFactory = (file: FileLike, blockSize?: number) => Body;

/** What wsgi.file_wrapper accepts: a path, a numeric descriptor, or an object with `fd`
 * (sent with sendfile); or any object with read(size) (PEP 3333 "Optional Platform-Specific
 * File Handling"), read block by block, whose close() is called if it has one. */
export type FileLike = string | number | { fd: number; close?: () => void }
  | { read(size: number): Uint8Array | string | null | undefined | Promise<Uint8Array | string | null | undefined>; close?: () => unknown };

/** PEP 3333 "environ Variables". Values are latin-1 strings ("native strings",
 * PEP 3333 "Unicode Issues"): each byte of the request is one UTF-16 code unit.
 * The CGI keys follow RFC 3875 §4.1; request headers are `HTTP_*` keys (§4.1.18), typed
 * `string | undefined` so that a header read needs no cast. Middleware and frameworks
 * may add keys of their own (PEP 3333: "the environ may contain server-defined
 * variables"), hence the `unknown` index. */
export interface Environ {
  /** "GET", "POST", … as the client sent it. */
  REQUEST_METHOD: string;
  /** The mount point of the app; "" at the root. */
  SCRIPT_NAME: string;
  /** The rest of the path, percent-decoded (one latin-1 unit per byte). */
  PATH_INFO: string;
  /** The query string without "?", still percent-encoded; "" when absent. */
  QUERY_STRING: string;
  /** Present only when the request has a Content-Type header. */
  CONTENT_TYPE?: string;
  /** Present only when the request has a Content-Length header. */
  CONTENT_LENGTH?: string;
  /** From Host (or an absolute-form target), else the server's own name. */
  SERVER_NAME: string;
  SERVER_PORT: string;
  /** "HTTP/1.0" or "HTTP/1.1". */
  SERVER_PROTOCOL: string;
  REMOTE_ADDR: string;
  REMOTE_PORT: string;
  /** Request headers: `Accept-Language` is `HTTP_ACCEPT_LANGUAGE`. Repeated fields are
   * joined with ", " (RFC 9110 §5.3); absent ones are undefined. */
  [header: `HTTP_${string}`]: string | undefined;
  'wsgi.version': [1, 0];
  'wsgi.url_scheme': 'http' | 'https' | (string & {});
  'wsgi.input': InputStream;
  'wsgi.errors': ErrorStream;
  'wsgi.multithread': boolean;
  'wsgi.multiprocess': boolean;
  'wsgi.run_once': boolean;
  'wsgi.input_terminated': boolean;
  'wsgi.file_wrapper': FileWrapperFactory;
  /** 'on' on a TLS connection; absent on plain ones (Apache mod_ssl, nginx's $https). */
  HTTPS?: 'on';
  /** TLS connections: the negotiated protocol, 'TLSv1.2' or 'TLSv1.3' (mod_ssl's
   * SSL_PROTOCOL). Absent where the engine cannot see it (uws, docs/engines.md). */
  SSL_PROTOCOL?: string;
  /** TLS connections: the negotiated cipher suite's name (mod_ssl's SSL_CIPHER). Absent
   * where the engine cannot see it (uws). */
  SSL_CIPHER?: string;
  /** With `tls.requestCert` only (mod_ssl's SSL_CLIENT_VERIFY under SSLVerifyClient):
   * 'NONE' (no certificate sent), 'SUCCESS' (verified against `tls.ca`) or
   * 'FAILED:<reason>' (sent but not verified; only with `rejectUnauthorized: false`). */
  SSL_CLIENT_VERIFY?: 'NONE' | 'SUCCESS' | (string & {});
  /** With `tls.requestCert` and a client certificate: its subject as an RFC 2253 string,
   * most specific RDN first ('CN=alice,O=Example'), mod_ssl's SSL_CLIENT_S_DN. */
  SSL_CLIENT_S_DN?: string;
  [key: string]: unknown;
}

// -------------------------------------------------------------- server ----

export type EngineName = 'uws' | 'native' | 'node';

/** Where log lines and wsgi.errors output go. */
export interface Logger {
  error(message: string): void;
  warn?(message: string): void;
  info?(message: string): void;
}

export interface ServeOptions {
  /** Interface to bind. Default '127.0.0.1'. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 8000. */
  port?: number;
  /** Unix domain socket path; when set, host and port are ignored. */
  path?: string;
  /** 'auto' (default) takes the fastest engine that loads here. */
  engine?: EngineName | 'auto';
  /** A request body larger than this gets 413 without calling the app. Default 1 GiB. */
  maxBodySize?: number;
  /** Bodies larger than this spool to a temporary file. Default 1 MiB. */
  bodyMemoryLimit?: number;
  /** Longest request line in bytes (414 beyond). Default 8190, as gunicorn. */
  maxRequestLine?: number;
  /** Most header fields in one request (431 beyond). Default 100, as gunicorn. */
  maxHeaderCount?: number;
  /** Largest header block in bytes (431 beyond). Default 16 KiB. */
  maxHeaderSize?: number;
  /** Seconds an idle keep-alive connection stays open. Default 5. */
  keepAliveTimeout?: number;
  /** Seconds a client has to send its request head. Default 30. */
  headersTimeout?: number;
  /** Seconds a request body may pause between two reads before the server gives up on
   * it: 408 if no response has begun, then the connection closes. 0 = never. Default 30.
   * (uws: uWebSockets.js applies its own fixed 10 s idle timeout instead.) */
  bodyTimeout?: number;
  /** Seconds queued response bytes may wait for the client to accept any of them (a
   * client that stops reading): the connection is closed then. 0 = never. Default 30. */
  sendTimeout?: number;
  /** Where wsgi.errors and server error logs go. Default: process.stderr. */
  logger?: Logger;
  /** wsgi.multiprocess; set by the CLI when it runs several workers. */
  multiprocess?: boolean;
  /** SO_REUSEPORT, so that several workers can share a port (native, uws). */
  reusePort?: boolean;
  /** Value of the Server response header. Default 'tsgi'. */
  serverHeader?: string;
  /** wsgi.url_scheme. Default 'https' with `tls`, else 'http'. */
  urlScheme?: string;
  /** Serve HTTPS: certificate, key and TLS settings (docs/tls.md). */
  tls?: TlsOptions;
}

export interface Server {
  readonly host: string;
  readonly port: number;
  readonly engine: EngineName;
  /** True when the server speaks TLS. */
  readonly tls: boolean;
  /** 'http://host:port' or 'https://host:port' (host in brackets when IPv6); for a Unix
   * socket, 'unix:' + path. */
  readonly url: string;
  /** Swap the certificate and key for new handshakes (rotation without dropping a
   * connection). Throws TlsConfigError when the new ones are unusable (the old stay in
   * use), InvalidOptionError on a plain server or an engine that cannot swap in place
   * (uws: restart the worker, as the CLI's SIGHUP does). */
  reloadTls(tls: TlsOptions): void;
  /** Graceful: stop accepting, let in-flight requests finish, close idle connections. */
  close(): Promise<void>;
}
