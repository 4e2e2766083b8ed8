// One request/response exchange of engine `uws` (see uws.ts for the uWebSockets.js
// pitfalls designed around): the response state, Content-Length output that uWS never
// buffers without bound, the lingering close, and the catch-all for exceptions.

import { describeThrown } from '../error-text.js';
import { ConnectionToken, Framing, type Exchange, type ResponseHead, type TlsFacts } from '../contract.js';
import { checkRequest, headerBlock, latin1, UwsHead } from './uws-head.js';
import type { UwsHttpRequest, UwsHttpResponse } from './uws-loader.js';
import type { UwsServer } from './uws-server.js';

/** Lingering close bounds, as engine `node` (node-connection.ts) and native; a client
 * that sends nothing for LINGER_QUIET_MS is done sending (e.g. it awaits the answer). */
const LINGER_MS = 2000;
const LINGER_BYTES = 4 * 1024 * 1024;
const LINGER_QUIET_MS = 200;

const EMPTY = new Uint8Array(0);


export class UwsExchange implements Exchange {
  readonly head: UwsHead;
  readonly bodyLength: number;
  /** Status line that refuses the request (request rules, http-rules.ts), if any. */
  readonly refusal: string | undefined;
  /** Set while the handler runs: uWS corks for us then. */
  inHandler = true;
  ended = false;
  aborted = false;
  closeAfterHandler = false;
  /** An exception on the request path was handled: the gateway's later calls are ignored. */
  private faulted = false;
  /** The request body has been received in full (or there is none). */
  private bodyDone: boolean;
  /** uWS has completed the response (end, endWithoutBody, tryEnd at the Content-Length):
   * the HttpResponse must not be touched again. */
  finished = false;
  private response: ResponseHead | undefined;
  private headWritten = false;
  /** writeHeadNow wrote `Connection: close` itself. */
  private closeWritten = false;
  private written = 0;
  private writableCallback: (() => void) | undefined;
  private abortCallback: (() => void) | undefined;
  /** A Content-Length chunk uWS did not take: retried from onWritable, then `later`. */
  private retry: Uint8Array | undefined;
  private retryBase = 0;
  private later: Uint8Array[] | undefined;
  /** `drain`, bound to this exchange once it is needed (no closure per request). */
  private drainFn: ((offset: number) => boolean) | undefined;
  /** sendTimeout: when the socket last took bytes while a write was blocked. */
  lastProgress = 0;
  /** Links of UwsServer's list of exchanges not yet over. */
  linked = false;
  prev: UwsExchange | undefined;
  next: UwsExchange | undefined;
  /** A close response waiting for the rest of the request body (see finishLater). */
  private lingerFinish: ((quiet: boolean) => void) | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingerBytes = 0;
  private lingerSeen = 0;
  private lingerSince = 0;
  private reading = false;

  constructor(private readonly res: UwsHttpResponse, req: UwsHttpRequest, localPort: number, private readonly server: UwsServer, method: string | undefined,
    tls: TlsFacts | undefined) {
    this.head = new UwsHead(req, res, localPort, method, tls);
    // RFC 9112 §3.2, §6.3 (uWS shows only the first of several Host fields: docs/engines.md).
    const framing = checkRequest(this.head, req);
    this.bodyLength = framing < -1 ? 0 : framing;
    if (framing < -1) this.refusal = framing === -501 ? '501 Not Implemented' : '400 Bad Request';
    this.bodyDone = this.bodyLength === 0;
  }

  /** The exchange is over for the server (ended, aborted or failed). */
  private release(): void {
    if (this.lingerFinish) return; // still reading the request: released by stopLinger
    this.server.unlink(this);
    this.server.unblock(this);
    if (this.server.closing) this.server.maybeFinished();
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
    try {
      this.server.logger.error(`tsgi uws: exception on the request path: ${describeThrown(error)}`);
    } catch { /* a broken logger must not take the server down either */ }
    if (!this.aborted && !this.ended && !this.finished) {
      if (!this.headWritten) {
        this.ended = true;
        this.head.resDone = true;
        this.finishLater((quiet) => {
          this.res.writeStatus('500 Internal Server Error').writeHeader('Content-Type', 'text/plain');
          this.endClosing('Internal Server Error\n', quiet);
        });
        return this.callAbort();
      } else {
        this.aborted = true;
        this.head.resDone = true;
        if (this.inHandler) this.closeAfterHandler = true;
        else this.res.close();
      }
      this.release();
    }
    this.callAbort();
  }
  private callAbort(): void {
    const callback = this.abortCallback;
    this.abortCallback = undefined;
    if (callback) {
      try { callback(); } catch { /* already reported once */ }
    }
  }

  /** Run `finish` (which ends the response with close) once the request body is in:
   * RFC 9112 §9.6, uWS's close flag resets a connection with unread bytes. The rest of
   * the body is read and discarded for at most LINGER_MS / LINGER_BYTES; past that
   * `finish(true)` answers without reading further. */
  private finishLater(finish: (quiet: boolean) => void): void {
    if (this.bodyDone) {
      this.corked(() => finish(false));
      this.release();
      return;
    }
    this.lingerFinish = finish;
    this.lingerSince = Date.now();
    this.lingerSeen = -1;
    this.lingerTimer = setInterval(() => {
      // Silent since the last look: nothing is unread, so uWS's close is a clean FIN.
      if (this.lingerBytes === this.lingerSeen) this.stopLinger(false);
      else if (Date.now() - this.lingerSince >= LINGER_MS) this.stopLinger(true);
      else this.lingerSeen = this.lingerBytes;
    }, LINGER_QUIET_MS).unref();
    if (!this.reading) this.res.onData((ab, last) => this.lingerData(ab.byteLength, last));
  }
  private lingerData(bytes: number, last: boolean): void {
    if (last) this.bodyDone = true;
    this.lingerBytes += bytes;
    if (last || this.lingerBytes > LINGER_BYTES) this.stopLinger(!last);
  }
  private stopLinger(quiet: boolean): void {
    const finish = this.lingerFinish;
    if (!finish) return;
    this.lingerFinish = undefined;
    clearInterval(this.lingerTimer);
    try {
      this.res.cork(() => finish(quiet));
    } catch (error) {
      this.server.logger.error(`tsgi uws: exception while closing: ${describeThrown(error)}`);
    }
    this.release();
  }

  /** End a response that closes the connection; `quiet`: the body is still arriving, so
   * stop reading and let uWS's timeout close the socket instead of resetting it now. */
  private endClosing(body: Uint8Array | string | undefined, quiet: boolean): void {
    this.finished = true;
    if (!quiet) {
      this.res.end(body, true);
      return;
    }
    this.res.pause();
    if (!this.closeWritten) this.res.writeHeader('Connection', 'close');
    this.res.end(body, false);
  }

  readBody(onChunk: (chunk: Uint8Array, last: boolean) => void): void {
    this.reading = true;
    this.res.onData((ab, last) => {
      if (this.lingerFinish) return this.lingerData(ab.byteLength, last);
      if (last) this.bodyDone = true;
      if (this.faulted) return;
      try {
        onChunk(new Uint8Array(ab), last);
      } catch (error) {
        this.fault(error);
      }
    });
  }
  pauseBody(): void { if (!this.aborted && !this.ended) this.res.pause(); }
  resumeBody(): void { if (!this.aborted && !this.ended) this.res.resume(); }

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
    // The gateway's Close token: uWS writes the field with its close flag, except for a
    // request it marked close itself (uws-head.ts keepAlive), where it omits it.
    if (h.connection === ConnectionToken.Close && this.head.uwsMarkedClose) {
      res.writeHeader('Connection', 'close');
      this.closeWritten = true;
    }
    // A head-only response still says how long the body would be (RFC 9110 §9.3.2).
    if (h.noBody && h.framing === Framing.Length) res.writeHeader('Content-Length', String(h.contentLength));
    this.headWritten = true;
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.aborted || this.finished || this.faulted) return true;
    let ok: boolean;
    if (this.inHandler) ok = this.writeNow(chunk);
    else {
      ok = true;
      this.res.cork(() => { ok = this.writeNow(chunk); });
    }
    // Buffering and Streaming: the gateway now waits for onWritable, and the client has
    // sendTimeout to take some of what uWS holds.
    if (!ok) this.server.block(this);
    return ok;
  }

  private writeNow(chunk: Uint8Array | string): boolean {
    if (!this.headWritten) this.writeHeadNow();
    const h = this.response!;
    if (h.noBody) return true;
    if (h.framing !== Framing.Length) return this.res.write(chunk);
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.written += bytes.length;
    if (this.retry) {
      // Behind bytes uWS has not taken yet: in order, from the drain handler.
      (this.later ??= []).push(bytes);
      return false;
    }
    return this.tryLength(bytes, this.res.getWriteOffset());
  }

  /** Content-Length body: offer `bytes` to uWS without buffering (tryEnd writes what the
   * socket takes); the rest waits in `retry` for onWritable. `base`: the write offset
   * before it. True when all of it went. */
  private tryLength(bytes: Uint8Array | string, base: number): boolean {
    const [accepted, done] = this.res.tryEnd(bytes, this.response!.contentLength);
    if (done) this.finish();
    if (accepted) return true;
    this.retry = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    this.retryBase = base;
    this.res.onWritable(this.drainFn ??= (offset) => this.drain(offset));
    this.server.block(this);
    return false;
  }

  /** uWS's onWritable: the socket takes bytes again. Sends the Content-Length backlog in
   * order, then wakes the gateway. Returns false while uWS still refuses bytes. */
  private drain(offset: number): boolean {
    this.lastProgress = Date.now(); // the socket took bytes: progress for sendTimeout
    if (this.faulted || this.aborted) return true;
    try {
      if (this.retry && !this.flushBacklog(offset)) return false;
      this.server.unblock(this);
      const cb = this.writableCallback;
      this.writableCallback = undefined;
      if (cb) {
        if (this.finished) cb();
        else this.corked(cb);
      }
    } catch (error) {
      this.fault(error);
    }
    return true;
  }

  private flushBacklog(offset: number): boolean {
    let chunk: Uint8Array | undefined = this.retry!.subarray(offset - this.retryBase);
    let base = offset;
    while (chunk) {
      const [accepted, done] = this.res.tryEnd(chunk, this.response!.contentLength);
      if (done) {
        this.retry = undefined;
        this.later = undefined;
        this.finish();
        return true;
      }
      if (!accepted) {
        this.retry = chunk;
        this.retryBase = base;
        return false;
      }
      chunk = this.later?.shift();
      if (chunk) base = this.res.getWriteOffset();
    }
    this.retry = undefined;
    return true;
  }

  /** uWS has completed the response: the HttpResponse may not be touched again. */
  private finish(): void {
    this.finished = true;
    this.head.resDone = true;
    if (this.ended) this.release();
  }

  end(chunk?: Uint8Array | string): void {
    if (this.aborted || this.ended || this.faulted) return;
    this.ended = true;
    if (!this.finished) {
      const h = this.response!;
      if (!this.bodyDone && !this.headWritten && h.connection === ConnectionToken.Close && !h.noBody && h.framing !== Framing.None) {
        return this.finishLater((quiet) => this.endNow(chunk, quiet));
      }
      // Inside the handler uWS is corked already: no closure on the hot path.
      if (this.inHandler) this.endNow(chunk, false);
      else this.res.cork(() => this.endNow(chunk, false));
    }
    // A Content-Length backlog keeps the exchange live until uWS has taken it.
    if (this.finished) this.release();
  }

  private endNow(chunk: Uint8Array | string | undefined, quiet: boolean): void {
    const fresh = !this.headWritten;
    if (fresh) this.writeHeadNow();
    this.head.resDone = true;
    const h = this.response!;
    // The gateway's decision (keep-alive.ts); uws requests are all HTTP/1.1, so the token
    // is Close or the default, and uWS's close flag says the rest.
    const close = h.connection === ConnectionToken.Close;
    if (h.noBody || h.framing === Framing.None) {
      // v20.30's endWithoutBody takes neither a length nor a close flag (either crashes
      // the process), and the response may not be touched after it: such responses
      // leave the connection open even when it should close (docs/engines.md).
      this.res.endWithoutBody();
    } else if (h.framing === Framing.Length && !(close && fresh)) {
      // Never end(): it buffers all that the socket does not take, without bound (a client
      // pipelining requests and reading nothing). tryEnd writes what the socket takes;
      // uWS completes the response at the last byte, after which it may not be touched,
      // so the close flag cannot be given here (docs/engines.md). With a backlog the response
      // stays pending, and uWS closes the connection if the client pipelines meanwhile.
      // Cost: tryEnd returns a fresh [ok, done] array, about +0.6 µs per request against
      // end() in a pipelined hello-world (2.8 vs 2.2 µs CPU, noisy shared machine).
      if (this.retry) {
        if (chunk !== undefined && chunk.length > 0) (this.later ??= []).push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        return;
      }
      if (chunk === undefined) chunk = EMPTY;
      this.tryLength(chunk, fresh ? 0 : this.res.getWriteOffset());
      return;
    } else if (close && fresh) this.endClosing(chunk, quiet);
    else this.res.end(chunk, close);
    this.finished = true;
  }

  onWritable(callback: () => void): void {
    if (this.aborted || this.faulted) return;
    this.writableCallback = callback;
    // A Content-Length backlog has registered `drain` already; chunked output is
    // buffered by uWS, which calls `drain` when the socket takes bytes again.
    if (!this.retry) this.res.onWritable(this.drainFn ??= (offset) => this.drain(offset));
  }

  onAborted(callback: () => void): void {
    this.abortCallback = callback;
  }
  handleAborted(): void {
    if (this.lingerFinish) {
      // The client left while we read the rest of its body: nothing more to answer.
      this.lingerFinish = undefined;
      clearInterval(this.lingerTimer);
      this.aborted = true;
      this.release();
      return;
    }
    if (this.aborted || this.finished) return;
    this.head.resDone = true;
    this.aborted = true;
    this.release();
    if (this.ended) return; // the gateway was done; uWS was still sending its backlog
    const callback = this.abortCallback;
    this.abortCallback = undefined;
    if (callback && !this.faulted) this.guard(callback);
  }
  abort(): void {
    if (this.aborted || this.ended || this.finished || this.faulted) return;
    // The gateway asked for it: no abort callback, but the exchange is over. Inside
    // the handler the bytes already written sit in uWS's cork buffer: close only
    // after the handler returned and uWS flushed them.
    this.aborted = true;
    void this.head.remoteAddress; // the app may still read it; uWS forgets with the close
    this.head.resDone = true;
    if (this.inHandler) this.closeAfterHandler = true;
    else this.res.close();
    this.release();
  }
  /** sendTimeout passed, or the server's close grace ended: close the connection now
   * (uWS then runs onAborted, which releases the body). */
  forceClose(): void {
    if (this.lingerFinish) return this.stopLinger(true);
    if (this.aborted || this.finished || this.inHandler) return;
    this.res.close();
  }

  /** Outside the handler, batch the syscalls of one step (uWS "corking"). */
  private corked(fn: () => void): void {
    if (this.inHandler) fn();
    else this.res.cork(fn);
  }
}
