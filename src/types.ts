// Public types of tsgi: PEP 3333 (WSGI) expressed in TypeScript.
// Every name here is part of the public API; other tools depend on them.

// ---------------------------------------------------------------- body ----

/** One piece of a response body. A string is sent as UTF-8 text (PEP 3333 wants
 * bytestrings; JS has no bytes literal, so we accept text and encode it). */
export type Chunk = Uint8Array | string;

/** PEP 3333: "the application object must return an iterable yielding zero or more
 * bytestrings". JS adds async iterables for bodies produced with await. PEP 3333: "If
 * the iterable returned by the application has a close() method, the server or gateway
 * must call that method upon completion of the current request". */
export type Body = (Iterable<Chunk> | AsyncIterable<Chunk>) & { close?: () => void };

/** PEP 3333 "The write() Callable": imperative, unbuffered output. */
export type WriteCallable = (chunk: Chunk) => void;

/** PEP 3333 "The start_response() Callable". */
export type StartResponse = (
  status: string,
  headers: [string, string][],
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

/** What wsgi.file_wrapper accepts: a path, a numeric descriptor, or an object with `fd`. */
export type FileLike = string | number | { fd: number; close?: () => void };

/** PEP 3333 "environ Variables". Values are latin-1 strings ("native strings",
 * PEP 3333 "Unicode Issues"): each byte of the request is one UTF-16 code unit. */
export interface Environ {
  REQUEST_METHOD: string;
  SCRIPT_NAME: string;
  PATH_INFO: string;
  QUERY_STRING: string;
  CONTENT_TYPE?: string;
  CONTENT_LENGTH?: string;
  SERVER_NAME: string;
  SERVER_PORT: string;
  SERVER_PROTOCOL: string;
  REMOTE_ADDR: string;
  REMOTE_PORT: string;
  'wsgi.version': [1, 0];
  'wsgi.url_scheme': 'http' | 'https' | string;
  'wsgi.input': InputStream;
  'wsgi.errors': ErrorStream;
  'wsgi.multithread': boolean;
  'wsgi.multiprocess': boolean;
  'wsgi.run_once': boolean;
  'wsgi.input_terminated': boolean;
  'wsgi.file_wrapper': FileWrapperFactory;
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
  /** Where wsgi.errors and server error logs go. Default: process.stderr. */
  logger?: Logger;
  /** wsgi.multiprocess; set by the CLI when it runs several workers. */
  multiprocess?: boolean;
  /** SO_REUSEPORT, so that several workers can share a port (native, uws). */
  reusePort?: boolean;
  /** Value of the Server response header. Default 'tsgi'. */
  serverHeader?: string;
  /** wsgi.url_scheme. Default 'http'. */
  urlScheme?: string;
}

export interface Server {
  readonly host: string;
  readonly port: number;
  readonly engine: EngineName;
  /** Graceful: stop accepting, let in-flight requests finish, close idle connections. */
  close(): Promise<void>;
}
