// Engine `uws`: uWebSockets.js moves the bytes, the gateway decides everything else.
//
// uWebSockets.js pitfalls designed around here:
// - it terminates the process when a handler returns without responding or onAborted:
//   every exchange still open when the handler returns registers onAborted;
// - HttpRequest dies when the handler returns: UwsHead.detach() copies it first;
// - the registry build (v20.30) answers Expect: 100-continue by itself as soon as the
//   request arrives, so writeContinue() has nothing left to do (a body we refuse is
//   then refused after the 100, which RFC 9110 §10.1.1 allows);
// - it accepts Transfer-Encoding values other than a final "chunked" and duplicate
//   Content-Length fields: checkFraming() refuses them (RFC 9112 §6.3);
// - it adds its own Date header and cannot report the HTTP version or remote port;
//   it drops HTTP/1.0, absolute-form and asterisk-form requests without an answer.

import { Framing, type Engine, type EngineOptions, type EngineServer, type Exchange, type RequestHandler, type RequestHead, type ResponseHead } from './types.js';
import { wantsKeepAlive } from './http-rules.js';
import { EngineUnavailableError } from '../errors.js';
import { loadUws, uwsUnavailableReason, type UwsHttpRequest, type UwsHttpResponse, type UwsListenSocket } from './uws-loader.js';

const NON_ASCII = /[^\x00-\x7f]/;

/** uWS encodes JS strings as UTF-8; header text is latin-1 (PEP 3333), so any text
 * with bytes above 0x7f goes as a Buffer of those bytes. */
function latin1(text: string): string | Buffer {
  return NON_ASCII.test(text) ? Buffer.from(text, 'latin1') : text;
}

/** The value that carries every header after the first in one writeHeader call; the
 * last one is kept, since the gateway hands the same array for a repeated header list. */
let blockFor: string[] | null = null;
let blockAscii = true;
let blockValue: string | Buffer = '';
function headerBlock(flat: string[], ascii: boolean): string | Buffer {
  if (flat !== blockFor || ascii !== blockAscii) {
    let block = flat[1]!;
    for (let i = 2; i < flat.length; i += 2) block += '\r\n' + flat[i]! + ': ' + flat[i + 1]!;
    blockValue = ascii ? block : latin1(block);
    blockFor = flat;
    blockAscii = ascii;
  }
  return blockValue;
}

class UwsHead implements RequestHead {
  private req: UwsHttpRequest | undefined;
  private _method: string | undefined;
  private _target: string | undefined;
  private _remote: string | undefined;
  private names: string[] | undefined;
  private values: string[] | undefined;
  readonly versionMinor = 1;
  readonly remotePort = 0;

  /** `method` is known when uWS routed by it (GET, HEAD): one N-API call saved. */
  constructor(req: UwsHttpRequest, private readonly res: UwsHttpResponse, readonly localPort: number, method: string | undefined) {
    this.req = req;
    this._method = method;
  }

  get method(): string {
    return (this._method ??= this.req!.getCaseSensitiveMethod());
  }
  get isHead(): boolean {
    return this.method === 'HEAD';
  }
  get target(): string {
    if (this._target === undefined) {
      const query = this.req!.getQuery();
      this._target = query ? this.req!.getUrl() + '?' + query : this.req!.getUrl();
    }
    return this._target;
  }
  /** uWS v20.30 does not honour `Connection: close` itself, so it is read here
   * (RFC 9112 §9.6: close after the response; process no further requests). */
  get keepAlive(): boolean {
    return (this._keepAlive ??= wantsKeepAlive(1, this.req!.getHeader('connection') || undefined));
  }
  private _keepAlive: boolean | undefined;
  get remoteAddress(): string {
    if (this._remote === undefined) {
      // The HttpResponse dies with the response, and reading the address costs uWS a
      // getpeername(2) call, too much to pay on every request just in case: read after
      // the response ended (and never before), REMOTE_ADDR is '' on uws (README).
      if (this.resDone) return '';
      // An address is at most 45 ASCII bytes: fromCharCode beats a TextDecoder here.
      this._remote = String.fromCharCode.apply(null, new Uint8Array(this.res.getRemoteAddressAsText()) as unknown as number[]);
    }
    return this._remote;
  }
  /** Set by the exchange once uWS's HttpResponse may no longer be touched. */
  resDone = false;

  /** uWS exposes headers only as strings: the first header read collects them all
   * (one forEach), so that repeated fields can be joined. */
  private collect(): void {
    const names: string[] = [];
    const values: string[] = [];
    this.req!.forEach((k, v) => { names.push(k); values.push(v); });
    this.names = names;
    this.values = values;
  }
  headerCount(): number {
    if (!this.names) this.collect();
    return this.names!.length;
  }
  headerName(i: number): string {
    if (!this.names) this.collect();
    return this.names![i]!;
  }
  headerValue(i: number): string {
    if (!this.values) this.collect();
    return this.values![i]!;
  }
  header(lowerName: string): string | undefined {
    if (!this.names) this.collect();
    let out: string | undefined;
    const names = this.names!;
    for (let i = 0; i < names.length; i++) {
      if (names[i] === lowerName) out = out === undefined ? this.values![i]! : out + ', ' + this.values![i]!;
    }
    return out;
  }
  detach(): void {
    if (!this.req) return;
    void this.method;
    void this.target;
    // REMOTE_ADDR stays lazy: the HttpResponse lives on until the response ends.
    void this.keepAlive;
    if (!this.names) this.collect();
    this.req = undefined;
  }
}

/** RFC 9112 §6.3 on what uWS v20.30 lets through. Returns the body length (-1 for
 * chunked), or -2 when the request must be refused with 400 and the connection closed. */
function checkFraming(head: UwsHead): number {
  let te: string | undefined;
  let cl: string | undefined;
  for (let i = 0; i < head.headerCount(); i++) {
    const name = head.headerName(i);
    const value = head.headerValue(i).trim();
    if (name === 'transfer-encoding') te = te === undefined ? value : te + ',' + value;
    else if (name === 'content-length') {
      // RFC 9110 §8.6 allows accepting identical duplicates; tsgi refuses every
      // duplicate on every engine, as native and gunicorn do (one rule, no desync).
      if (cl !== undefined) return -2;
      cl = value;
    }
  }
  if (te !== undefined) {
    // Both present: a smuggling shape; only a lone, final "chunked" is understood.
    if (cl !== undefined || te.toLowerCase() !== 'chunked') return -2;
    return -1;
  }
  if (cl === undefined) return 0;
  return /^\d{1,15}$/.test(cl) ? Number(cl) : -2;
}

class UwsExchange implements Exchange {
  readonly head: UwsHead;
  readonly bodyLength: number;
  /** Set while the handler runs: uWS corks for us then. */
  inHandler = true;
  ended = false;
  aborted = false;
  closeAfterHandler = false;
  /** uWS finished the response by itself (tryEnd reached the Content-Length): the
   * HttpResponse must not be touched again. */
  private responded = false;
  private response: ResponseHead | undefined;
  private headWritten = false;
  private written = 0;
  private writableCallback: (() => void) | undefined;
  private abortCallback: (() => void) | undefined;
  /** A Content-Length chunk uWS did not take: retried from onWritable. */
  private retry: Uint8Array | undefined;
  private retryBase = 0;

  constructor(private readonly res: UwsHttpResponse, req: UwsHttpRequest, localPort: number, private readonly server: UwsServer, method: string | undefined) {
    this.head = new UwsHead(req, res, localPort, method);
    const te = req.getHeader('transfer-encoding');
    const cl = req.getHeader('content-length');
    this.bodyLength = te || cl ? checkFraming(this.head) : 0;
  }

  readBody(onChunk: (chunk: Uint8Array, last: boolean) => void): void {
    this.res.onData((ab, last) => onChunk(new Uint8Array(ab), last));
  }
  pauseBody(): void { if (!this.aborted) this.res.pause(); }
  resumeBody(): void { if (!this.aborted) this.res.resume(); }

  writeContinue(): void {
    // uWS v20.30 has already sent "100 Continue" when it saw the Expect field.
  }

  writeHead(head: ResponseHead): void {
    this.response = head;
  }

  private writeHeadNow(): void {
    const h = this.response!;
    const res = this.res;
    const flat = h.headers;
    if (h.status !== '200 OK') res.writeStatus(h.ascii ? h.status : latin1(h.status));
    // One N-API call for the whole block: uWS writes `key: value\r\n`, and the gateway
    // has already refused CR, LF and NUL in every name and value, so joining the
    // fields into the value of the first is exact and cannot inject anything.
    if (flat.length > 0) res.writeHeader(flat[0]!, headerBlock(flat, h.ascii));
    // A head-only response still says how long the body would be (RFC 9110 §9.3.2).
    if (h.noBody && h.framing === Framing.Length) res.writeHeader('Content-Length', String(h.contentLength));
    this.headWritten = true;
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.aborted || this.responded) return true;
    if (this.inHandler) return this.writeNow(chunk);
    let ok = true;
    this.res.cork(() => { ok = this.writeNow(chunk); });
    return ok;
  }

  private writeNow(chunk: Uint8Array | string): boolean {
    if (!this.headWritten) this.writeHeadNow();
    const h = this.response!;
    if (h.noBody) return true;
    if (h.framing !== Framing.Length) return this.res.write(chunk);
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const base = this.res.getWriteOffset();
    const [accepted, done] = this.res.tryEnd(bytes, h.contentLength);
    this.written += bytes.length;
    if (done) this.responded = this.head.resDone = true;
    if (accepted) return true;
    this.retry = bytes;
    this.retryBase = base;
    return false;
  }

  end(chunk?: Uint8Array | string): void {
    if (this.aborted || this.ended) return;
    this.ended = true;
    this.server.inFlight--;
    if (!this.responded) {
      // Inside the handler uWS is corked already: no closure on the hot path.
      if (this.inHandler) this.endNow(chunk);
      else this.res.cork(() => this.endNow(chunk));
    }
    if (this.server.closing) this.server.maybeFinished();
  }

  private endNow(chunk: Uint8Array | string | undefined): void {
    if (!this.headWritten) this.writeHeadNow();
    this.head.resDone = true;
    const h = this.response!;
    const close = !h.keepAlive || this.server.closing;
    if (h.noBody || h.framing === Framing.None) {
      // v20.30's endWithoutBody takes neither a length nor a close flag (either crashes
      // the process), and the response may not be touched after it: such responses
      // leave the connection open even when it should close (README).
      this.res.endWithoutBody();
    } else if (h.framing === Framing.Length && this.written > 0) {
      // Streamed with tryEnd: uWS completes the response at the last byte, after which
      // it may not be touched, so the close flag cannot be given here either.
      if (chunk !== undefined && chunk.length > 0) this.res.tryEnd(chunk, h.contentLength);
    } else this.res.end(chunk, close);
  }

  onWritable(callback: () => void): void {
    if (this.aborted) return;
    this.writableCallback = callback;
    this.res.onWritable((offset) => {
      if (this.retry) {
        const rest = this.retry.subarray(offset - this.retryBase);
        const [accepted, done] = this.res.tryEnd(rest, this.response!.contentLength);
        if (done) this.responded = this.head.resDone = true;
        if (!accepted) {
          this.retry = rest;
          this.retryBase = offset;
          return false;
        }
        this.retry = undefined;
      }
      const cb = this.writableCallback;
      this.writableCallback = undefined;
      if (cb) {
        if (this.responded) cb();
        else this.corked(cb);
      }
      return true;
    });
  }

  onAborted(callback: () => void): void {
    this.abortCallback = callback;
  }
  handleAborted(): void {
    if (this.ended || this.aborted) return;
    this.head.resDone = true;
    this.aborted = true;
    this.server.inFlight--;
    this.abortCallback?.();
    this.server.maybeFinished();
  }
  abort(): void {
    if (this.aborted || this.ended || this.responded) return;
    // The gateway asked for it: no abort callback, but the exchange is over. Inside
    // the handler the bytes already written sit in uWS's cork buffer: close only
    // after the handler returned and uWS flushed them.
    this.aborted = true;
    this.server.inFlight--;
    void this.head.remoteAddress; // the app may still read it; uWS forgets with the close
    this.head.resDone = true;
    if (this.inHandler) this.closeAfterHandler = true;
    else this.res.close();
    this.server.maybeFinished();
  }

  /** Outside the handler, batch the syscalls of one step (uWS "corking"). */
  private corked(fn: () => void): void {
    if (this.inHandler) fn();
    else this.res.cork(fn);
  }
}

class UwsServer implements EngineServer {
  inFlight = 0;
  closing = false;
  private resolveClosed: (() => void) | undefined;
  constructor(readonly host: string, readonly port: number, private readonly listenSocket: UwsListenSocket, private readonly closeListen: (s: UwsListenSocket) => void) {}

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.closeListen(this.listenSocket);
    }
    return new Promise((resolve) => {
      this.resolveClosed = resolve;
      this.maybeFinished();
    });
  }
  maybeFinished(): void {
    if (this.closing && this.inFlight === 0 && this.resolveClosed) {
      const r = this.resolveClosed;
      this.resolveClosed = undefined;
      // Idle keep-alive connections: uWS 20.30 cannot enumerate them; they end at its
      // fixed 10 s idle timeout, and any request on them is answered with close.
      setImmediate(r);
    }
  }
}

export function loadUwsEngine(): Engine {
  const unavailable = uwsUnavailableReason();
  if (unavailable) throw new EngineUnavailableError(unavailable);
  let uws: ReturnType<typeof loadUws> | undefined;
  return {
    name: 'uws',
    listen(options: EngineOptions, handler: RequestHandler): Promise<EngineServer> {
      uws ??= loadUws(options.maxHeaderSize);
      const mod = uws;
      const app = mod.App();
      let server: UwsServer | undefined;
      let localPort = options.port;
      const onRequest = (res: UwsHttpResponse, req: UwsHttpRequest, method: string | undefined): void => {
        const s = server!;
        const exchange = new UwsExchange(res, req, localPort, s, method);
        if (exchange.bodyLength === -2) {
          res.writeStatus('400 Bad Request').writeHeader('Content-Type', 'text/plain').end('Bad Request\n', true);
          return;
        }
        s.inFlight++;
        handler(exchange);
        exchange.inHandler = false;
        if (exchange.closeAfterHandler) {
          let gone = false;
          res.onAborted(() => { gone = true; });
          setImmediate(() => { if (!gone) res.close(); });
        } else if (!exchange.ended && !exchange.aborted) res.onAborted(() => exchange.handleAborted());
      };
      // uWS routes by method already; its GET and HEAD routes tell us the method.
      app.get('/*', (res, req) => onRequest(res, req, 'GET'));
      app.head('/*', (res, req) => onRequest(res, req, 'HEAD'));
      app.any('/*', (res, req) => onRequest(res, req, undefined));
      return new Promise((resolve, reject) => {
        const done = (socket: UwsListenSocket | false): void => {
          if (!socket) return reject(new Error(`uws: cannot listen on ${options.path ?? `${options.host}:${options.port}`}`));
          localPort = options.path ? 0 : mod.us_socket_local_port(socket);
          server = new UwsServer(options.path ?? options.host, localPort, socket, (s) => mod.us_listen_socket_close(s));
          resolve(server);
        };
        if (options.path) app.listen_unix(done, options.path);
        else app.listen(options.host, options.port, done);
      });
    },
  };
}
