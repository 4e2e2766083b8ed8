// One request/response exchange of the native engine. It is also the request's
// RequestHead (exchange.head === exchange): one flat object per request, no subclass, so
// that V8 allocates and initializes it inline. The head is a record of offsets into the
// server's shared memory (native-head.ts), valid during the dispatch call that delivered
// it unless detached.
import { ConnectionToken, Framing, joinHeader, type Exchange, type RequestHead, type ResponseHead, type TlsFacts } from '../contract.js';
import {
  EXPIRED_MESSAGE, copyHead, copyRecord, fieldIndex, fieldNameIs, type HeadSource, type Latin1Buffer,
} from './native-head.js';
import { systemError } from '../error-text.js';
import { ExchangeAbortedError, ExchangeStateError, HeadExpiredError, SendFileError } from '../errors.js';
import { activateNext, type NativeConnection } from './native-connection.js';
import {
  ERRNO_ECONNRESET, ERRNO_EPIPE, HEADER_NAME_LENGTH, HEADER_NAME_OFFSET, HEADER_VALUE_LENGTH,
  HEADER_VALUE_OFFSET, OP_CLOSE, OP_END, REQUEST_FLAGS, REQUEST_FLAG_HEAD, REQUEST_FLAG_KEEP_ALIVE,
  REQUEST_FLAG_VERSION_MINOR_MASK, REQUEST_HEADER_COUNT, REQUEST_HEAD_LENGTH, REQUEST_HEAD_OFFSET, REQUEST_METHOD_LENGTH,
  REQUEST_METHOD_OFFSET, REQUEST_TARGET_LENGTH, REQUEST_TARGET_OFFSET,
} from './native-protocol.js';
import { headText } from './native-head-writer.js';

/** What an exchange needs from its server (native-server.ts). */
export interface ExchangeOutput {
  yieldTurn(conn: NativeConnection): boolean;
  dateLine(): string;
  sendHead(id: number, head: ResponseHead): void;
  sendWhole(id: number, head: ResponseHead, body: Uint8Array | string | undefined): void;
  sendLatin1(id: number, text: string): void;
  sendUtf8(id: number, text: string): void;
  sendBytes(id: number, bytes: Uint8Array): void;
  sendEnd(id: number, flags: number): void;
  syncBlocked(): void;
  flush(): void;
  pause(id: number, paused: boolean): void;
  abort(id: number): void;
  sendFile(id: number, fd: number, offset: number, length: number): number;
  tlsFacts(conn: NativeConnection): TlsFacts | undefined;
  report(error: unknown, where: string): void;
}

const EMPTY = new Uint8Array(0);
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
/** Body bytes kept for an exchange that has not called readBody yet, before pausing. */
const PENDING_BODY_LIMIT = 256 * 1024;
/** Output an exchange behind others in the pipeline holds before write() says false. */
const HELD_LIMIT = 64 * 1024;
/** The same for all exchanges of one connection together (up to 128 in flight): what a
 * client that pipelines and never reads can make JavaScript hold. */
const CONNECTION_HELD_LIMIT = 256 * 1024;

type Held = string | Uint8Array | (() => void); // latin1 wire text, bytes, deferred sendFile
type ChunkCallback = (chunk: Uint8Array, last: boolean) => void;

// Exchange state bits (one int instead of eleven boolean fields: a smaller object per request).
const STARTED = 1;
const ENDED = 2;
const DEAD = 4; // aborted, or the connection closed
const CHUNKED = 8;
const NO_BODY = 16;
const CONTINUE_PENDING = 32;
const BODY_COMPLETE = 64;
const USER_PAUSED = 128;
const AUTO_PAUSED = 256;
const FLOW_PAUSED = 512;
const FILE_BUSY = 1024;

/** State most exchanges never need, allocated on first use. */
class ExchangeExtra {
  abortedCallback: (() => void) | null = null;
  onChunk: ChunkCallback | null = null;
  held: Held[] | null = null;
  heldBytes = 0;
  writableCallback: (() => void) | null = null;
  pendingBody: Uint8Array[] | null = null;
  pendingBytes = 0;
  fileDone: ((error?: Error) => void) | null = null;
}

export class NativeExchange implements Exchange, RequestHead {
  /** Next exchange in its connection's queue (native-connection.ts). */
  next: NativeExchange | null = null;
  readonly bodyLength: number;
  private readonly out: ExchangeOutput & HeadSource;
  private readonly conn: NativeConnection;
  // The request head: record m of meta, bytes from base in buf (native-head.ts).
  private buf: Latin1Buffer;
  private meta: Int32Array;
  private m: number;
  private base: number;
  /** Server batch that delivered the head; -1 once detached (copies owned). */
  private batch: number;
  private readonly requestFlags: number;
  private methodCache: string | undefined = undefined;
  private targetCache: string | undefined = undefined;
  // The response.
  private response: ResponseHead | null = null;
  private state = 0;
  private endFlags = OP_END;
  private extra: ExchangeExtra | null = null;

  constructor(out: ExchangeOutput & HeadSource, conn: NativeConnection, recordIndex: number, bodyLength: number) {
    this.out = out;
    this.conn = conn;
    this.bodyLength = bodyLength;
    const meta = out.events;
    this.buf = out.input as Latin1Buffer;
    this.meta = meta;
    this.m = recordIndex;
    this.base = meta[recordIndex + REQUEST_HEAD_OFFSET];
    this.batch = out.batch;
    this.requestFlags = meta[recordIndex + REQUEST_FLAGS];
  }

  private bit(b: number): boolean {
    return (this.state & b) !== 0;
  }
  private setBit(b: number, on: boolean): void {
    this.state = on ? this.state | b : this.state & ~b;
  }
  private get more(): ExchangeExtra {
    return (this.extra ??= new ExchangeExtra());
  }

  private get started(): boolean { return this.bit(STARTED); }
  private get ended(): boolean { return this.bit(ENDED); }
  private get dead(): boolean { return this.bit(DEAD); }
  private get chunked(): boolean { return this.bit(CHUNKED); }
  private get noBody(): boolean { return this.bit(NO_BODY); }
  private get continuePending(): boolean { return this.bit(CONTINUE_PENDING); }
  private get bodyComplete(): boolean { return this.bit(BODY_COMPLETE); }
  private get userPaused(): boolean { return this.bit(USER_PAUSED); }
  private get autoPaused(): boolean { return this.bit(AUTO_PAUSED); }
  private get flowPaused(): boolean { return this.bit(FLOW_PAUSED); }
  private set flowPaused(v: boolean) { this.setBit(FLOW_PAUSED, v); }
  private get fileBusy(): boolean { return this.bit(FILE_BUSY); }

  private get held(): Held[] | null { return this.extra === null ? null : this.extra.held; }
  private set held(v: Held[] | null) { if (v !== null || this.extra !== null) this.more.held = v; }
  private get heldBytes(): number { return this.extra === null ? 0 : this.extra.heldBytes; }
  private set heldBytes(v: number) { if (v !== 0 || this.extra !== null) this.more.heldBytes = v; }
  private get writableCallback(): (() => void) | null { return this.extra === null ? null : this.extra.writableCallback; }
  private set writableCallback(v: (() => void) | null) { if (v !== null || this.extra !== null) this.more.writableCallback = v; }
  private get pendingBody(): Uint8Array[] | null { return this.extra === null ? null : this.extra.pendingBody; }
  private set pendingBody(v: Uint8Array[] | null) { if (v !== null || this.extra !== null) this.more.pendingBody = v; }
  private get pendingBytes(): number { return this.extra === null ? 0 : this.extra.pendingBytes; }
  private set pendingBytes(v: number) { if (v !== 0 || this.extra !== null) this.more.pendingBytes = v; }
  private get fileDone(): ((error?: Error) => void) | null { return this.extra === null ? null : this.extra.fileDone; }
  private set fileDone(v: ((error?: Error) => void) | null) { if (v !== null || this.extra !== null) this.more.fileDone = v; }

  // ----------------------------------------------------------- request head ----

  /** The request head is this object (saves an allocation per request). */
  get head(): RequestHead {
    return this;
  }

  private live(): void {
    if (this.batch !== -1 && this.out.batch !== this.batch) throw new HeadExpiredError(undefined, EXPIRED_MESSAGE);
  }

  private cut(rel: number, length: number): string {
    const start = this.base + rel;
    return this.buf.latin1Slice(start, start + length);
  }

  get method(): string {
    if (this.methodCache === undefined) {
      this.live();
      this.methodCache = this.cut(this.meta[this.m + REQUEST_METHOD_OFFSET], this.meta[this.m + REQUEST_METHOD_LENGTH]);
    }
    return this.methodCache;
  }

  get target(): string {
    if (this.targetCache === undefined) {
      this.live();
      this.targetCache = this.cut(this.meta[this.m + REQUEST_TARGET_OFFSET], this.meta[this.m + REQUEST_TARGET_LENGTH]);
    }
    return this.targetCache;
  }

  get isHead(): boolean {
    return (this.requestFlags & REQUEST_FLAG_HEAD) !== 0;
  }
  get versionMinor(): number {
    return this.requestFlags & REQUEST_FLAG_VERSION_MINOR_MASK;
  }
  get keepAlive(): boolean {
    return (this.requestFlags & REQUEST_FLAG_KEEP_ALIVE) !== 0;
  }

  headerCount(): number {
    this.live();
    return this.meta[this.m + REQUEST_HEADER_COUNT];
  }
  headerName(i: number): string {
    this.live();
    const f = fieldIndex(this.meta, this.m, i);
    return this.cut(this.meta[f + HEADER_NAME_OFFSET], this.meta[f + HEADER_NAME_LENGTH]);
  }
  headerValue(i: number): string {
    this.live();
    const f = fieldIndex(this.meta, this.m, i);
    return this.cut(this.meta[f + HEADER_VALUE_OFFSET], this.meta[f + HEADER_VALUE_LENGTH]);
  }
  headerNameIs(i: number, lowerName: string): boolean {
    this.live();
    return fieldNameIs(this.buf, this.meta, this.base, fieldIndex(this.meta, this.m, i), lowerName);
  }
  header(lowerName: string): string | undefined {
    return joinHeader(this, lowerName);
  }

  get remoteAddress(): string {
    return this.conn.remoteAddress;
  }
  get remotePort(): number {
    return this.conn.remotePort;
  }
  get localPort(): number {
    return this.conn.localPort;
  }

  get tls(): TlsFacts | undefined {
    return this.out.tlsFacts(this.conn);
  }

  detach(): void {
    if (this.batch === -1) return;
    this.live();
    this.buf = copyHead(this.buf, this.base, this.meta[this.m + REQUEST_HEAD_LENGTH]);
    this.meta = copyRecord(this.meta, this.m);
    this.m = 0;
    this.base = 0;
    this.batch = -1;
  }

  // ------------------------------------------------------------ request body ----

  readBody(onChunk: ChunkCallback): void {
    if (this.extra?.onChunk) throw new ExchangeStateError('readBody() was already called');
    this.more.onChunk = onChunk;
    if (this.bodyLength === 0) {
      onChunk(EMPTY, true);
      return;
    }
    const pending = this.pendingBody;
    if (pending) {
      this.pendingBody = null;
      this.pendingBytes = 0;
      const lastIndex = this.bodyComplete ? pending.length - 1 : -1;
      for (let i = 0; i < pending.length; i++) onChunk(pending[i], i === lastIndex);
    }
    if (this.autoPaused) {
      this.state &= ~AUTO_PAUSED;
      this.updateFlow();
    }
  }

  /** From dispatch: a slice of shared memory, valid during this call only. */
  deliverBody(chunk: Uint8Array, last: boolean): void {
    if (last) {
      this.state |= BODY_COMPLETE;
      if (this.flowPaused) {
        // The body is complete: reading must go on for the next pipelined request.
        this.state &= ~FLOW_PAUSED;
        this.out.pause(this.conn.id, false);
      }
    }
    const onChunk = this.extra?.onChunk;
    if (onChunk) {
      try {
        onChunk(chunk, last);
      } catch (error) {
        this.out.report(error, 'readBody callback');
        this.abort();
      }
      return;
    }
    if (this.dead || this.ended) return; // nobody will read it
    (this.more.pendingBody ??= []).push(Uint8Array.prototype.slice.call(chunk));
    this.more.pendingBytes += chunk.length;
    if (this.pendingBytes > PENDING_BODY_LIMIT && !this.autoPaused && !last) {
      this.state |= AUTO_PAUSED;
      this.updateFlow();
    }
  }

  pauseBody(): void {
    this.state |= USER_PAUSED;
    this.updateFlow();
  }

  resumeBody(): void {
    this.state &= ~USER_PAUSED;
    this.updateFlow();
  }

  private updateFlow(): void {
    const want = this.userPaused || this.autoPaused;
    if (want === this.flowPaused || this.conn.reading !== this || this.conn.closed) return;
    this.flowPaused = want;
    this.out.pause(this.conn.id, want);
  }

  writeContinue(): void {
    if (this.dead || this.started) return;
    if (this.direct()) this.out.sendLatin1(this.conn.id, CONTINUE);
    else this.state |= CONTINUE_PENDING;
  }

  // ---------------------------------------------------------------- response ----

  writeHead(head: ResponseHead): void {
    if (this.started) throw new ExchangeStateError('writeHead(): the response head is already on the wire');
    this.response = head;
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.dead || this.ended) return false;
    if (!this.started) this.start();
    if (!this.noBody && chunk.length !== 0) this.body(chunk);
    if (!this.direct()) return this.heldBytes < HELD_LIMIT && this.conn.heldBytes < CONNECTION_HELD_LIMIT;
    this.out.syncBlocked();
    return !this.conn.blocked && !this.out.yieldTurn(this.conn);
  }

  end(chunk?: Uint8Array | string): void {
    if ((this.state & (DEAD | ENDED | STARTED)) === 0 && this.direct()) return this.endWhole(chunk);
    if (this.dead || this.ended) return;
    if (!this.started) this.start();
    if (chunk !== undefined && !this.noBody && chunk.length !== 0) this.body(chunk);
    if (this.chunked) this.emit('0\r\n\r\n'); // last-chunk, no trailers (RFC 9112 §7.1)
    this.state |= ENDED;
    if (this.conn.first === this) activateNext(this.conn, this.out);
  }

  onWritable(callback: () => void): void {
    this.writableCallback = callback;
    if (this.direct()) {
      this.out.syncBlocked();
      if (!this.conn.blocked && !this.out.yieldTurn(this.conn)) this.notifyWritable();
    }
  }

  onAborted(callback: () => void): void {
    this.more.abortedCallback = callback;
  }

  abort(): void {
    if (this.dead) return;
    this.state |= DEAD | ENDED;
    if (!this.conn.closed) this.out.abort(this.conn.id);
  }

  sendFile(fd: number, offset: number, length: number, done: (error?: Error) => void): void {
    if (this.dead || this.ended) {
      queueMicrotask(() => this.guard(() => done(new ExchangeAbortedError('sendFile: the exchange is over')), 'sendFile callback'));
      return;
    }
    if (!this.started) this.start();
    if (this.noBody || length === 0) {
      queueMicrotask(() => this.guard(() => done(), 'sendFile callback'));
      return;
    }
    if (this.chunked) this.emit(length.toString(16) + '\r\n');
    if (this.direct()) this.runFile(fd, offset, length, done);
    else this.hold(() => this.runFile(fd, offset, length, done), 0);
  }

  // ----------------------------------------------------------------- engine ----

  /** Front of the queue, nothing held and no file in progress: bytes go straight out. */
  private direct(): boolean {
    return this.conn.first === this && (this.extra === null || this.extra.held === null) && (this.state & FILE_BUSY) === 0;
  }

  /** Takes the gateway's decisions (framing, connection) into the exchange state:
   * STARTED, NO_BODY, CHUNKED and the end flags. Decides nothing itself. */
  private adopt(): ResponseHead {
    const r = this.response;
    if (!r) throw new ExchangeStateError('writeHead() must come before write() or end()');
    const noBody = r.noBody || r.framing === Framing.None;
    this.state |= STARTED | (noBody ? NO_BODY : r.framing === Framing.Chunked ? CHUNKED : 0);
    this.endFlags = r.connection === ConnectionToken.Close ? OP_END | OP_CLOSE : OP_END;
    return r;
  }

  private start(): void {
    const r = this.adopt();
    if (this.direct()) this.out.sendHead(this.conn.id, r);
    else this.hold(headText(r, r.hasDate ? '' : this.out.dateLine()), 0);
  }

  /** end() before anything was sent, at the front of the queue: head, body and end go
   * to the server together (the common case of a synchronous app). */
  private endWhole(chunk: Uint8Array | string | undefined): void {
    const r = this.adopt();
    const id = this.conn.id;
    const noBody = (this.state & NO_BODY) !== 0;
    const body = noBody || chunk === undefined || chunk.length === 0 ? undefined : chunk;
    if (r.framing === Framing.Chunked && !noBody) {
      // Chunked (RFC 9112 §7.1): the body as one chunk, then the last-chunk.
      this.out.sendHead(id, r);
      if (body !== undefined) this.body(body);
      this.out.sendLatin1(id, '0\r\n\r\n');
    } else {
      this.out.sendWhole(id, r, body);
    }
    this.state |= ENDED;
    activateNext(this.conn, this.out); // the end flags join the op just written
  }

  private body(chunk: Uint8Array | string): void {
    const id = this.conn.id;
    if (this.chunked) {
      const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      this.emit(n.toString(16) + '\r\n');
    }
    if (this.direct()) {
      if (typeof chunk === 'string') this.out.sendUtf8(id, chunk);
      else this.out.sendBytes(id, chunk);
    } else {
      const copy = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Uint8Array.prototype.slice.call(chunk);
      this.hold(copy, copy.length);
    }
    if (this.chunked) this.emit('\r\n');
  }

  /** Latin-1 wire text (heads, chunk framing). */
  private emit(text: string): void {
    if (this.direct()) this.out.sendLatin1(this.conn.id, text);
    else this.hold(text, text.length);
  }

  private hold(piece: Held, bytes: number): void {
    const more = this.more;
    (more.held ??= []).push(piece);
    more.heldBytes += bytes;
    this.conn.heldBytes += bytes;
  }

  /** Sends what was held while the exchange waited behind others or behind a file. */
  releaseHeld(): void {
    const id = this.conn.id;
    if (this.continuePending) {
      this.state &= ~CONTINUE_PENDING;
      if (!this.started) this.out.sendLatin1(id, CONTINUE);
    }
    const held = this.held;
    if (held === null || this.fileBusy) return;
    let i = 0;
    while (i < held.length && !this.fileBusy) {
      const piece = held[i++];
      if (typeof piece === 'string') this.out.sendLatin1(id, piece);
      else if (typeof piece === 'function') {
        this.held = held.length > i ? held.slice(i) : null;
        piece();
        if (this.fileBusy) return;
        this.releaseHeld();
        return;
      } else this.out.sendBytes(id, piece);
    }
    this.held = null;
    this.conn.heldBytes -= this.heldBytes;
    this.heldBytes = 0;
  }

  get finished(): boolean {
    return this.ended && this.held === null && !this.fileBusy;
  }

  get flags(): number {
    return this.endFlags;
  }

  notifyWritable(): void {
    const callback = this.writableCallback;
    if (!callback || this.dead) return;
    this.writableCallback = null;
    queueMicrotask(() => this.guard(callback, 'onWritable callback'));
  }

  /** Runs an application callback outside the engine's own call stack; a throw is
   * logged and aborts this exchange (it must never reach the process). */
  private guard(callback: () => void, where: string): void {
    try {
      callback();
    } catch (error) {
      this.out.report(error, where);
      this.abort();
    }
  }

  private runFile(fd: number, offset: number, length: number, done: (error?: Error) => void): void {
    this.out.flush(); // bytes before the file must reach C++ first
    this.state |= FILE_BUSY;
    this.fileDone = done;
    this.conn.fileExchange = this;
    const r = this.out.sendFile(this.conn.id, fd, offset, length);
    if (r !== 0) queueMicrotask(() => this.finishFile(r === 1 ? 0 : -r));
  }

  /** kEventFileDone, or a synchronous result of sendFile. */
  finishFile(errno: number): void {
    if (!this.fileBusy) return;
    if (!this.dead && (errno === ERRNO_EPIPE || errno === ERRNO_ECONNRESET)) {
      // The client left during the file (C++ reset the connection; kEventClosed
      // follows): an abort, reported to onAborted first, never a sendfile failure.
      this.connectionClosed();
      return;
    }
    this.state &= ~FILE_BUSY;
    this.conn.fileExchange = null;
    const done = this.fileDone;
    this.fileDone = null;
    if (this.dead) {
      if (done) this.guard(() => done(new ExchangeAbortedError('the connection closed during sendFile')), 'sendFile callback');
      return;
    }
    if (this.chunked && errno === 0) this.out.sendLatin1(this.conn.id, '\r\n');
    if (this.conn.first === this) activateNext(this.conn, this.out);
    if (done) this.guard(() => done(errno === 0 ? undefined : new SendFileError(systemError(-errno, 'sendfile'))), 'sendFile callback');
  }

  /** kEventClosed: the client is gone. onAborted runs first, then a pending sendFile's
   * callback learns the abort. Never throws. */
  connectionClosed(): void {
    if (!this.dead) {
      this.state |= DEAD;
      const callback = this.extra?.abortedCallback;
      if (!this.ended && callback) {
        try {
          callback();
        } catch (error) {
          this.out.report(error, 'onAborted callback');
        }
      }
      this.state |= ENDED;
    }
    if (this.fileBusy) this.finishFile(ERRNO_EPIPE);
  }
}
