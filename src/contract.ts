// The contract between the gateway (src/*.ts, which owns every PEP 3333 rule and every
// decision about a response) and an engine (src/engines/<name>.ts, which parses HTTP,
// serializes what the gateway decided and moves bytes). The gateway owns these types;
// engines import them from here.

import type { EngineTls } from './tls-options.js';
import type { EngineName, Logger } from './types.js';

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
   * `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`); see
   * requestKeepAlive() in keep-alive.ts. */
  readonly keepAlive: boolean;
  /** Number of header fields as received (repeats counted). */
  headerCount(): number;
  /** Field name of header i as received, latin-1. */
  headerName(i: number): string;
  /** Field value of header i, latin-1, leading and trailing whitespace removed. */
  headerValue(i: number): string;
  /** Value of the header with this lowercase name, repeated fields joined with ", ";
   * undefined when absent. Must not create strings for other headers: engines answer
   * it with joinHeader() below. */
  header(lowerName: string): string | undefined;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Local port the connection arrived on (SERVER_PORT fallback when no Host). */
  readonly localPort: number;
  /** The connection's TLS facts; undefined on a plain connection. May be a getter that
   * asks the engine only when read (environ reads it lazily). */
  readonly tls: TlsFacts | undefined;
  /** Copy everything still backed by engine memory, so the head outlives the callback. */
  detach(): void;
}

/** What a TLS connection negotiated, for environ's HTTPS and SSL_* keys (the names of
 * Apache mod_ssl and nginx, which WSGI apps already read). */
export interface TlsFacts {
  /** 'TLSv1.2' or 'TLSv1.3' (OpenSSL's spelling); undefined where the engine cannot see
   * it (uws: docs/engines.md), and SSL_PROTOCOL is then absent. */
  readonly protocol: string | undefined;
  /** The negotiated cipher suite, OpenSSL's name ('TLS_AES_128_GCM_SHA256') or the IANA
   * one ('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'); undefined where the engine cannot
   * see it, and SSL_CIPHER is then absent. */
  readonly cipher: string | undefined;
  /** The listener requested client certificates (TlsOptions.requestCert): only then does
   * environ carry SSL_CLIENT_VERIFY and SSL_CLIENT_S_DN, as mod_ssl sets them only under
   * SSLVerifyClient. */
  readonly clientCertRequested: boolean;
  /** The client certificate's subject as an RFC 2253 string ('CN=alice,O=Example');
   * undefined when the client sent none. */
  readonly peerSubject: string | undefined;
  /** mod_ssl's SSL_CLIENT_VERIFY: 'NONE' (no certificate), 'SUCCESS' (verified against
   * tls.ca) or 'FAILED:<reason>' (sent but not verified; only with rejectUnauthorized false). */
  readonly verify: string;
}

/** What joinHeader() reads: a RequestHead's fields, with a name test that creates no
 * string (so header() never cuts the names of other fields). */
export interface FieldReader {
  headerCount(): number;
  /** Field name i equals `lowerName`, ASCII case-insensitively. */
  headerNameIs(i: number, lowerName: string): boolean;
  headerValue(i: number): string;
}

/** RequestHead.header(), written once for every engine: the values of every field named
 * `lowerName`, in order, joined with ", " (RFC 9110 §5.3: a recipient MAY combine field
 * lines of the same name into one value, separated by a comma). */
export function joinHeader(head: FieldReader, lowerName: string): string | undefined {
  let out: string | undefined;
  const n = head.headerCount();
  for (let i = 0; i < n; i++) {
    if (!head.headerNameIs(i, lowerName)) continue;
    const value = head.headerValue(i);
    out = out === undefined ? value : out + ', ' + value;
  }
  return out;
}

/** How the response body is delimited on the wire; decided by the gateway
 * (PEP 3333 "Handling the Content-Length Header", RFC 9112 §6), final for the engine. */
export const enum Framing {
  /** The engine writes `Content-Length: contentLength`, and exactly that many bytes
   * follow unless `noBody`. The gateway never chooses it for 1xx and 204 (RFC 9110 §8.6),
   * so this is also the one answer to "is a length written". */
  Length = 0,
  /** Transfer-Encoding: chunked. The gateway chooses it for HTTP/1.1 requests only. */
  Chunked = 1,
  /** Body ends when the connection closes (HTTP/1.0 streaming); `connection` is Close. */
  Close = 2,
  /** No framing header and no body, connection persists: 1xx/204/304 (RFC 9110
   * §15.3.5, §15.4.5) and HEAD responses whose length is unknown. */
  None = 3,
}

/** The Connection field the engine writes, and whether the connection persists
 * (RFC 9112 §9.3, §9.6); decided by the gateway in keep-alive.ts. */
export const enum ConnectionToken {
  /** No Connection field; the connection persists (HTTP/1.1 default). */
  Default = 0,
  /** `Connection: keep-alive`; persists (an HTTP/1.0 client that asked for it). */
  KeepAlive = 1,
  /** `Connection: close`; the engine closes the connection after this response. */
  Close = 2,
}

/** A response head with every decision made: the engine serializes it as
 * `HTTP/1.1 <status>`, the headers, Date unless hasDate, the Connection line `connection`
 * names, then Content-Length or Transfer-Encoding as `framing` names; it decides nothing. */
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
  connection: ConnectionToken;
  /** HEAD request (or 204/304): the engine writes the head only (still with the
   * Content-Length or Transfer-Encoding header that `framing` names) and drops any
   * body bytes it is given. */
  noBody: boolean;
  /** True when the app set a Date header: the engine must not add its own. */
  hasDate: boolean;
  /** Status and headers are pure ASCII; false when some value holds latin-1 code units
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
  /** Longest time queued response bytes may wait for the client to accept any of them,
   * seconds; 0 = never. The connection is closed when it passes. */
  sendTimeout: number;
  /** Serve TLS on this listener (resolveTls() has checked it); undefined: plain TCP. */
  tls?: EngineTls;
  logger: Logger;
}

export interface EngineServer {
  readonly host: string;
  readonly port: number;
  /** Stop accepting; finish in-flight exchanges; close idle connections; resolve when
   * every connection is gone. */
  close(): Promise<void>;
  /** TLS listeners: handshakes from now on use `tls` (certificate rotation without
   * dropping a connection); connections already open keep theirs. Absent where the
   * engine cannot swap certificates in place. */
  updateTls?(tls: EngineTls): void;
}

export interface Engine {
  readonly name: EngineName;
  /** listen() honours `options.tls`; serveFast refuses tls on an engine without it
   * rather than serve plain HTTP. */
  readonly servesTls: boolean;
  listen(options: EngineOptions, handler: RequestHandler): Promise<EngineServer>;
}
