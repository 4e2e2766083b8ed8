// The contract between the gateway (src/*.ts, which owns every PEP 3333 rule) and an
// engine (src/engines/<name>.ts, which moves bytes). Engines parse HTTP and frame
// responses exactly as the gateway tells them; they never decide WSGI semantics.

import type { EngineName, Logger } from '../types.js';

/** The request line and header fields, readable lazily. An engine may back this with
 * memory that dies when its request callback returns: until `detach()` is called, the
 * gateway may only read it synchronously inside `RequestHandler`. */
export interface RequestHead {
  /** Method token exactly as sent (case-sensitive, RFC 9110 §9.1). */
  readonly method: string;
  /** request-target exactly as sent, each byte one latin-1 code unit (RFC 9112 §3.2). */
  readonly target: string;
  /** The method is HEAD (RFC 9110 §9.3.2: the response carries no content). Engines
   * answer it without cutting the method string. */
  readonly isHead: boolean;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly versionMinor: number;
  /** The request allows a persistent connection (RFC 9112 §9.3: HTTP/1.1 unless
   * `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`). */
  readonly keepAlive: boolean;
  /** Number of header fields as received (repeats counted). */
  headerCount(): number;
  /** Field name of header i as received, latin-1. */
  headerName(i: number): string;
  /** Field value of header i, latin-1, leading and trailing whitespace removed. */
  headerValue(i: number): string;
  /** Value of the header with this lowercase name, repeated fields joined with ", ";
   * undefined when absent. Must not create strings for other headers. */
  header(lowerName: string): string | undefined;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Local port the connection arrived on (SERVER_PORT fallback when no Host). */
  readonly localPort: number;
  /** Copy everything still backed by engine memory, so the head outlives the callback. */
  detach(): void;
}

/** How the response body is delimited on the wire; chosen by the gateway
 * (PEP 3333 "Handling the Content-Length Header", RFC 9112 §6). */
export const enum Framing {
  /** Exactly `contentLength` bytes follow. */
  Length = 0,
  /** Transfer-Encoding: chunked (HTTP/1.1 only). */
  Chunked = 1,
  /** Body ends when the connection closes (HTTP/1.0 streaming). */
  Close = 2,
  /** No framing header and no body, connection persists: 1xx/204/304 (RFC 9110
   * §15.3.5, §15.4.5) and HEAD responses whose length is unknown. */
  None = 3,
}

export interface ResponseHead {
  /** "200 OK": status code, space, reason phrase. Validated by the gateway. */
  status: string;
  /** Flat [name, value, name, value, …], validated (latin-1, no CR/LF/NUL). Never holds
   * Content-Length, Transfer-Encoding or Connection: the engine writes those from below.
   * Read-only: the same array may serve many responses. */
  headers: string[];
  framing: Framing;
  /** Byte count when framing is Length. */
  contentLength: number;
  /** False: the engine sends `Connection: close` and closes after this response.
   * True on an HTTP/1.0 request: the engine sends `Connection: keep-alive`. */
  keepAlive: boolean;
  /** HEAD request (or 204/304): the engine writes the head only (still with the
   * Content-Length or Transfer-Encoding header that `framing` names) and drops any
   * body bytes it is given. */
  noBody: boolean;
  /** True when the app set a Date header: the engine must not add its own. */
  hasDate: boolean;
  /** Status and headers are pure ASCII; false when some value holds latin-1 bytes
   * 0x80-0xFF, which must go out as single bytes (PEP 3333 "Unicode Issues"). */
  ascii: boolean;
}

/** One request/response exchange on a connection. */
export interface Exchange {
  readonly head: RequestHead;
  /** Request body framing (RFC 9112 §6.3): byte count from Content-Length, -1 for
   * chunked, 0 for none. The engine has already rejected invalid framing with 400. */
  readonly bodyLength: number;
  /** Deliver the (de-chunked) body. `chunk` is valid only during the call: copy it.
   * `last` is true exactly once. */
  readBody(onChunk: (chunk: Uint8Array, last: boolean) => void): void;
  /** Flow control for the body: stop / restart reading from the socket. */
  pauseBody(): void;
  resumeBody(): void;
  /** Send "HTTP/1.1 100 Continue" (RFC 9110 §10.1.1). */
  writeContinue(): void;

  /** Sets the response head; it goes on the wire with the first write or end. */
  writeHead(head: ResponseHead): void;
  /** Send a body chunk; false when the socket is full (wait for onWritable). */
  write(chunk: Uint8Array | string): boolean;
  /** Finish the response, optionally with a last chunk. */
  end(chunk?: Uint8Array | string): void;
  /** Called once when a blocked write may be retried. */
  onWritable(callback: () => void): void;
  /** Called once if the client goes away before end(); after it, no method may be used. */
  onAborted(callback: () => void): void;
  /** Close the connection now, without completing the response. */
  abort(): void;
  /** Zero-copy file body where the engine has it (sendfile(2)). Calls done(error?). */
  sendFile?(fd: number, offset: number, length: number, done: (error?: Error) => void): void;
}

export type RequestHandler = (exchange: Exchange) => void;

export interface EngineOptions {
  host: string;
  port: number;
  path?: string;
  reusePort: boolean;
  maxRequestLine: number;
  maxHeaderCount: number;
  maxHeaderSize: number;
  keepAliveTimeout: number;
  headersTimeout: number;
  /** Longest pause between two reads of a request body, seconds; 0 = none. */
  bodyTimeout: number;
  logger: Logger;
}

export interface EngineServer {
  readonly host: string;
  readonly port: number;
  /** Stop accepting; finish in-flight exchanges; close idle connections; resolve when
   * every connection is gone. */
  close(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  listen(options: EngineOptions, handler: RequestHandler): Promise<EngineServer>;
}
