// Engine `node`: node:http (node:https with `tls`, guarded in node-tls.ts), the portable
// fallback. llhttp parses; the gateway decides everything else. Node's own framing is
// steered through the headers we pass.

import { describeThrown } from '../error-text.js';
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { ListenError } from '../errors.js';
import { httpDate } from '../http-date.js';
import { requestKeepAlive } from '../keep-alive.js';
import { factsOf, requestBodyLength, requestStatus } from './http-rules.js';
import { NodeConnection } from './node-connection.js';
import { httpsOptionsOf, TlsFront, tlsFactsOf } from './node-tls.js';
import { finWhenFlushed } from '../node-response-cut.js';
import {
  ConnectionToken, Framing, joinHeader, type Engine, type EngineOptions, type EngineServer, type Exchange,
  type RequestHandler, type RequestHead, type ResponseHead, type TlsFacts,
} from '../contract.js';
import type { EngineTls } from '../tls-options.js';
import type { Logger } from '../types.js';

const EMPTY = new Uint8Array(0);
/** Decoded body bytes that count as progress for bodyTimeout (see NodeExchange). */
const BODY_PROGRESS_BYTES = 1024;

class NodeHead implements RequestHead {
  readonly method: string;
  readonly target: string;
  readonly versionMinor: number;
  readonly keepAlive: boolean;
  readonly isHead: boolean;
  private readonly raw: string[];
  private readonly socket: Socket;
  /** Computed on first read, once per connection (node-tls.ts). */
  get tls(): TlsFacts | undefined { return tlsFactsOf(this.socket); }
  constructor(req: IncomingMessage, readonly localPort: number) {
    this.method = req.method!;
    this.isHead = this.method === 'HEAD';
    this.target = req.url!;
    this.versionMinor = req.httpVersionMinor;
    this.raw = req.rawHeaders;
    this.keepAlive = requestKeepAlive(this.versionMinor, this.header('connection'));
    const socket = req.socket;
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
  }
  readonly remoteAddress: string;
  readonly remotePort: number;
  headerCount(): number { return this.raw.length >> 1; }
  headerName(i: number): string { return this.raw[2 * i]!; }
  headerValue(i: number): string { return this.raw[2 * i + 1]!; }
  headerNameIs(i: number, lowerName: string): boolean {
    const name = this.raw[2 * i]!;
    return name.length === lowerName.length && name.toLowerCase() === lowerName;
  }
  header(lowerName: string): string | undefined { return joinHeader(this, lowerName); }
  detach(): void { /* strings already */ }
}

class NodeExchange implements Exchange {
  readonly head: NodeHead;
  readonly bodyLength: number;
  private ended = false;
  private aborted = false;
  /** An exception on the request path was handled here: the gateway's later calls are ignored. */
  private faulted = false;
  private abortCallback: (() => void) | undefined;
  private response: ResponseHead | undefined;
  private headWritten = false;

  /** Fires when the body makes no progress for bodyTimeout: restarted by each
   * `bodyUnit` bytes of decoded body (as native/src/Connection.h kBodyProgressBytes:
   * 1 KiB, or an eighth of a smaller Content-Length), so a body dribbled a byte at a
   * time is cut (slow POST) while a small body sent slowly but steadily completes. */
  private bodyTimer: NodeJS.Timeout | undefined;
  private bodyBytes = 0;
  private readonly bodyUnit: number;

  /** `bodyLength`: from the request rules (http-rules.ts requestBodyLength). */
  constructor(private readonly req: IncomingMessage, private readonly res: ServerResponse, localPort: number, bodyLength: number,
    private readonly bodyTimeoutMs: number, private readonly conn: NodeConnection, private readonly logger: Logger) {
    this.head = new NodeHead(req, localPort);
    this.bodyLength = bodyLength;
    this.bodyUnit = this.bodyLength < 0 ? BODY_PROGRESS_BYTES : Math.max(1, Math.min(BODY_PROGRESS_BYTES, Math.ceil(this.bodyLength / 8)));
    res.once('close', () => {
      conn.requestDone();
      if (this.ended) return;
      this.aborted = true;
      const callback = this.abortCallback;
      this.abortCallback = undefined;
      if (callback) this.guard(callback);
    });
  }

  /** Runs gateway or application code: no exception gets past the engine (issue 13). */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.fault(error);
    }
  }

  /** An exception escaped the gateway: log it once; a 500 if nothing was sent yet, else
   * close the connection (the client must not take a truncated response as complete). */
  fault(error: unknown): void {
    if (this.faulted) return;
    this.faulted = true;
    this.stopBodyTimer();
    const text = describeThrown(error);
    try {
      this.logger.error(`tsgi node: exception on the request path: ${text}`);
    } catch { /* a broken logger must not take the server down either */ }
    const res = this.res;
    if (!this.aborted && !this.ended && !this.headWritten && !res.headersSent && !res.writableEnded) {
      this.ended = true;
      if (bodyUnread(this.req)) this.conn.lingerOnClose();
      refuse(res, 500, 'Internal Server Error');
    } else if (!this.aborted) {
      // What was written goes out first (node corks writes until the next tick), then
      // FIN: a chunked body without its last-chunk reads as truncated (RFC 9112 §7.1).
      this.ended = true;
      finWhenFlushed(res);
    }
    // The response is over: let the gateway release the body (PEP 3333 close()).
    const callback = this.abortCallback;
    this.abortCallback = undefined;
    if (callback) {
      try { callback(); } catch { /* already reported once */ }
    }
  }

  readBody(onChunk: (chunk: Uint8Array, last: boolean) => void): void {
    this.req.on('data', (chunk: Buffer) => {
      this.bodyBytes += chunk.length;
      if (this.bodyBytes >= this.bodyUnit) {
        this.bodyBytes = 0;
        this.bodyTimer?.refresh();
      }
      if (this.faulted) return;
      try {
        onChunk(chunk, false);
      } catch (error) {
        this.fault(error);
      }
    });
    this.req.on('end', () => {
      this.stopBodyTimer();
      if (!this.faulted) this.guard(() => onChunk(EMPTY, true));
    });
    this.req.once('close', () => this.stopBodyTimer());
    this.startBodyTimer();
  }
  pauseBody(): void {
    this.stopBodyTimer(); // our own pause is not the client's delay
    if (!this.conn.lingering) this.req.pause();
  }
  resumeBody(): void {
    this.startBodyTimer();
    this.req.resume();
  }

  private startBodyTimer(): void {
    if (this.bodyTimeoutMs <= 0 || this.req.complete || this.bodyTimer || this.faulted) return;
    this.bodyBytes = 0;
    this.bodyTimer = setTimeout(() => this.guard(() => this.bodyTimedOut()), this.bodyTimeoutMs);
  }
  private stopBodyTimer(): void {
    clearTimeout(this.bodyTimer);
    this.bodyTimer = undefined;
  }
  /** RFC 9110 §15.5.9: 408 if nothing of the response went out yet, then close. */
  private bodyTimedOut(): void {
    this.bodyTimer = undefined;
    if (this.req.complete || this.aborted) return;
    if (!this.headWritten && !this.res.headersSent) {
      this.headWritten = true;
      refuse(this.res, 408, 'Request Timeout');
      this.res.once('finish', () => this.req.socket.destroy());
    } else this.req.socket.destroy();
  }
  writeContinue(): void { if (!this.aborted && !this.faulted) this.res.writeContinue(); }

  writeHead(head: ResponseHead): void { this.response = head; }

  private writeHeadNow(): void {
    const h = this.response!;
    const headers = h.headers.slice(); // shared between responses (headers.ts): never mutated
    if (!h.hasDate) headers.push('Date', httpDate());
    if (h.framing === Framing.Length) headers.push('Content-Length', String(h.contentLength));
    if (h.connection === ConnectionToken.KeepAlive) headers.push('Connection', 'keep-alive');
    else if (h.connection === ConnectionToken.Close) {
      headers.push('Connection', 'close');
      // RFC 9112 §9.6: the request's unread body must not turn the close into a reset.
      if (bodyUnread(this.req)) this.conn.lingerOnClose();
    }
    const space = h.status.indexOf(' ');
    this.res.writeHead(Number(h.status.slice(0, 3)), space === -1 ? '' : h.status.slice(space + 1), headers);
    this.headWritten = true;
  }

  /** node:http sends the head in one string with a first string chunk, encoded as UTF-8;
   * a head holding latin-1 code units 0x80-0xFF must go as single bytes (PEP 3333
   * "Unicode Issues"): then the chunk goes as bytes, and node writes the head as latin-1. */
  private firstChunk(chunk: Uint8Array | string): Uint8Array | string {
    return typeof chunk === 'string' && !this.response!.ascii ? Buffer.from(chunk, 'utf8') : chunk;
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.aborted || this.faulted) return true;
    if (!this.headWritten) {
      this.writeHeadNow();
      chunk = this.firstChunk(chunk);
    }
    if (this.response!.noBody) return true;
    if (this.res.write(chunk)) return true;
    // Buffering and Streaming: the gateway waits for onWritable; the client has
    // sendTimeout to take some of what is queued.
    this.conn.watchSend();
    return false;
  }
  end(chunk?: Uint8Array | string): void {
    if (this.aborted || this.ended || this.faulted) return;
    this.ended = true;
    this.stopBodyTimer();
    if (!this.headWritten) {
      this.writeHeadNow();
      if (chunk !== undefined) chunk = this.firstChunk(chunk);
    }
    if (chunk === undefined || this.response!.noBody) this.res.end();
    else this.res.end(chunk);
    // Output still queued (this response's, or earlier ones pipelined responses wait
    // behind in node:http): the client must take some of it within sendTimeout.
    if (this.res.writableLength > 0 || this.conn.hasQueued()) this.conn.watchSend();
  }
  onWritable(callback: () => void): void {
    this.res.once('drain', () => { if (!this.aborted && !this.faulted) this.guard(callback); });
  }
  onAborted(callback: () => void): void { this.abortCallback = callback; }
  abort(): void {
    if (this.ended) return;
    // Flush what was written, then FIN: the client sees a truncated response.
    finWhenFlushed(this.res);
  }
}

class NodeServer implements EngineServer {
  private closing: Promise<void> | undefined;
  readonly updateTls?: (tls: EngineTls) => void;
  constructor(readonly host: string, readonly port: number, private readonly server: Server, private readonly graceMs: number,
    private readonly front: TlsFront | undefined) {
    if (front) this.updateTls = (tls) => front.update(tls);
  }
  /** Graceful, in bounded time: idle connections close now, in-flight responses get
   * graceMs to finish, then every connection left is closed. A TLS handshake under way
   * may finish (its request is answered with Connection: close) until then too: a
   * client that connected just before close() is not cut. */
  close(): Promise<void> {
    return (this.closing ??= new Promise((resolve) => {
      const force = setTimeout(() => {
        this.server.closeAllConnections();
        this.front?.closePending();
      }, this.graceMs).unref();
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      this.server.closeIdleConnections();
    }));
  }
}

/** In-flight responses get this long after close() when sendTimeout is 0 (never). */
const CLOSE_GRACE_MS = 10_000;

export function loadNodeEngine(): Engine {
  return {
    name: 'node',
    servesTls: true,
    listen(options: EngineOptions, handler: RequestHandler): Promise<EngineServer> {
      const httpOptions: ServerOptions = {
        maxHeaderSize: options.maxHeaderSize,
        keepAliveTimeout: options.keepAliveTimeout * 1000,
        headersTimeout: options.headersTimeout * 1000,
        requestTimeout: 0,
        // node:http checks the header deadline on this interval (default 30 s): check
        // often enough that a slowloris client is cut close to headersTimeout.
        connectionsCheckingInterval: Math.max(250, Math.min(30_000, (options.headersTimeout * 1000) / 4)),
      };
      const tls = options.tls;
      const server: Server = tls ? createHttpsServer({ ...httpOptions, ...httpsOptionsOf(tls) }) : createServer(httpOptions);
      const front = tls ? new TlsFront(server as HttpsServer, tls.handshakeTimeout * 1000) : undefined;
      // Node truncates silently past maxHeadersCount: allow one more and refuse it.
      server.maxHeadersCount = options.maxHeaderCount + 1;
      const limits = { headersMs: options.headersTimeout * 1000, keepAliveMs: options.keepAliveTimeout * 1000, sendMs: options.sendTimeout * 1000 };
      const logger = options.logger;
      // A TLS connection's deadlines start once its handshake is done (until then
      // handshakeTimeout applies); its HTTP socket is the TLSSocket.
      server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => { new NodeConnection(socket, limits); });
      const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
        const conn = NodeConnection.of(req.socket) ?? new NodeConnection(req.socket, limits);
        // RFC 9112 §9.6: after a response with "close", no further request is processed;
        // what arrives while lingering is read and dropped.
        if (conn.lingering) {
          req.resume();
          return;
        }
        conn.requestStarted();
        if (conn.mustWait()) conn.whenWritable(() => serve(req, res, conn));
        else serve(req, res, conn);
      };
      const serve = (req: IncomingMessage, res: ServerResponse, conn: NodeConnection): void => {
        let exchange: NodeExchange | undefined;
        try {
          res.sendDate = false;
          const facts = factsOf(req.method!, req.url!, req.httpVersionMajor, req.httpVersionMinor, req.rawHeaders);
          let problem = 0;
          if (req.url!.length > options.maxRequestLine) problem = 414;
          else if (req.rawHeaders.length / 2 > options.maxHeaderCount) problem = 431;
          else problem = requestStatus(facts);
          if (problem !== 0) {
            res.once('close', () => conn.requestDone());
            if (bodyUnread(req)) conn.lingerOnClose();
            return refuse(res, problem, STATUS_TEXT[problem]!);
          }
          exchange = new NodeExchange(req, res, (req.socket as Socket).localPort ?? 0, requestBodyLength(facts), options.bodyTimeout * 1000, conn, logger);
          handler(exchange);
        } catch (error) {
          if (exchange) return exchange.fault(error);
          res.once('close', () => conn.requestDone());
          logger.error(`tsgi node: exception on the request path: ${describeThrown(error)}`);
          if (!res.headersSent) refuse(res, 500, 'Internal Server Error');
          else req.socket.destroy();
        }
      };
      server.on('request', onRequest);
      // Our gateway answers Expect itself (100 or 413/417).
      server.on('checkContinue', onRequest);
      server.on('checkExpectation', onRequest);
      const graceMs = options.sendTimeout > 0 ? options.sendTimeout * 1000 : CLOSE_GRACE_MS;
      return new Promise((resolve, reject) => {
        const fail = (error: Error): void => reject(new ListenError(options.path ?? `${options.host}:${options.port}`, error));
        server.once('error', fail);
        const ready = (): void => {
          server.off('error', fail);
          const addr = server.address();
          const port = typeof addr === 'object' && addr ? addr.port : 0;
          resolve(new NodeServer(options.path ?? options.host, port, server, graceMs, front));
        };
        if (options.path) server.listen(options.path, ready);
        else server.listen(options.port, options.host, ready);
      });
    },
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 414: 'URI Too Long', 431: 'Request Header Fields Too Large', 501: 'Not Implemented', 505: 'HTTP Version Not Supported',
};

/** The request has a body that has not been read to its end (a request without one is
 * complete only after its 'request' event, so `complete` alone is not enough). */
function bodyUnread(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const cl = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0');
}

function refuse(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain', 'Content-Length': text.length + 1, Connection: 'close', Date: httpDate() });
  res.end(text + '\n');
}
