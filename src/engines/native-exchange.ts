// One request/response exchange of the native engine, and the per-connection queue that
// keeps pipelined responses in request order (RFC 9112 §9.3.2): only the exchange at the
// front writes to the socket; the others hold their bytes until it ends.
import type { Exchange, RequestHead, ResponseHead } from './types.js';
import { NativeHead, type HeadSource, type PeerInfo } from './native-head.js';
import { OP_CLOSE, OP_END } from './native-protocol.js';
import { CONNECTION_CLOSE, CONNECTION_DEFAULT, CONNECTION_KEEP_ALIVE, headText } from './native-head-writer.js';

/** What an exchange needs from its server (native-server.ts). */
export interface ExchangeOutput {
  readonly closing: boolean;
  dateLine(): string;
  sendHead(id: number, head: ResponseHead, framing: number, connection: number): void;
  sendLatin1(id: number, text: string): void;
  sendUtf8(id: number, text: string): void;
  sendBytes(id: number, bytes: Uint8Array): void;
  sendEnd(id: number, flags: number): void;
  syncBlocked(): void;
  flush(): void;
  pause(id: number, paused: boolean): void;
  abort(id: number): void;
  sendFile(id: number, fd: number, offset: number, length: number): number;
  report(error: unknown, where: string): void;
}

export class NativeConnection implements PeerInfo {
  remoteAddress = '';
  remotePort = 0;
  localPort = 0;
  /** Exchanges whose response has not been handed to C++ completely, oldest first. */
  readonly queue: NativeExchange[] = [];
  /** The exchange whose request body is still arriving. */
  reading: NativeExchange | null = null;
  fileExchange: NativeExchange | null = null;
  /** C++ holds more than its high-water mark of output for this connection. */
  blocked = false;
  closed = false;
  constructor(readonly id: number) {}
}

const EMPTY = new Uint8Array(0);
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
/** Body bytes kept for an exchange that has not called readBody yet, before pausing. */
const PENDING_BODY_LIMIT = 256 * 1024;
/** Output an exchange behind others in the pipeline holds before write() says false. */
const HELD_LIMIT = 64 * 1024;

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
  held: Held[] | null = null;
  heldBytes = 0;
  writableCallback: (() => void) | null = null;
  pendingBody: Uint8Array[] | null = null;
  pendingBytes = 0;
  fileDone: ((error?: Error) => void) | null = null;
}

export class NativeExchange extends NativeHead implements Exchange {
  private response: ResponseHead | null = null;
  private state = 0;
  private endFlags = OP_END;
  private abortedCallback: (() => void) | null = null;
  private onChunk: ChunkCallback | null = null;
  private extra: ExchangeExtra | null = null;

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
  private set started(v: boolean) { this.setBit(STARTED, v); }
  private get ended(): boolean { return this.bit(ENDED); }
  private set ended(v: boolean) { this.setBit(ENDED, v); }
  private get dead(): boolean { return this.bit(DEAD); }
  private set dead(v: boolean) { this.setBit(DEAD, v); }
  private get chunked(): boolean { return this.bit(CHUNKED); }
  private set chunked(v: boolean) { this.setBit(CHUNKED, v); }
  private get noBody(): boolean { return this.bit(NO_BODY); }
  private set noBody(v: boolean) { this.setBit(NO_BODY, v); }
  private get continuePending(): boolean { return this.bit(CONTINUE_PENDING); }
  private set continuePending(v: boolean) { this.setBit(CONTINUE_PENDING, v); }
  private get bodyComplete(): boolean { return this.bit(BODY_COMPLETE); }
  private set bodyComplete(v: boolean) { this.setBit(BODY_COMPLETE, v); }
  private get userPaused(): boolean { return this.bit(USER_PAUSED); }
  private set userPaused(v: boolean) { this.setBit(USER_PAUSED, v); }
  private get autoPaused(): boolean { return this.bit(AUTO_PAUSED); }
  private set autoPaused(v: boolean) { this.setBit(AUTO_PAUSED, v); }
  private get flowPaused(): boolean { return this.bit(FLOW_PAUSED); }
  private set flowPaused(v: boolean) { this.setBit(FLOW_PAUSED, v); }
  private get fileBusy(): boolean { return this.bit(FILE_BUSY); }
  private set fileBusy(v: boolean) { this.setBit(FILE_BUSY, v); }

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

  private readonly out: ExchangeOutput;
  private readonly conn: NativeConnection;
  readonly bodyLength: number;

  constructor(out: ExchangeOutput & HeadSource, conn: NativeConnection, recordIndex: number, bodyLength: number) {
    super(out, recordIndex, conn);
    this.out = out;
    this.conn = conn;
    this.bodyLength = bodyLength;
  }

  /** The request head is this object (saves an allocation per request). */
  get head(): RequestHead {
    return this;
  }

  // ------------------------------------------------------------ request body ----

  readBody(onChunk: ChunkCallback): void {
    if (this.onChunk) throw new Error('TSGI_ERR_BODY_READ_TWICE: readBody() was already called');
    this.onChunk = onChunk;
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
      this.autoPaused = false;
      this.updateFlow();
    }
  }

  /** From dispatch: a slice of shared memory, valid during this call only. */
  deliverBody(chunk: Uint8Array, last: boolean): void {
    if (last) {
      this.bodyComplete = true;
      if (this.flowPaused) {
        // The body is complete: reading must go on for the next pipelined request.
        this.flowPaused = false;
        this.out.pause(this.conn.id, false);
      }
    }
    if (this.onChunk) {
      try {
        this.onChunk(chunk, last);
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
      this.autoPaused = true;
      this.updateFlow();
    }
  }

  pauseBody(): void {
    this.userPaused = true;
    this.updateFlow();
  }

  resumeBody(): void {
    this.userPaused = false;
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
    else this.continuePending = true;
  }

  // ---------------------------------------------------------------- response ----

  writeHead(head: ResponseHead): void {
    if (this.started) throw new Error('TSGI_ERR_HEAD_SENT: the response head is already on the wire');
    this.response = head;
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.dead || this.ended) return false;
    if (!this.started) this.start();
    if (!this.noBody && chunk.length !== 0) this.body(chunk);
    if (!this.direct()) return this.heldBytes < HELD_LIMIT;
    this.out.syncBlocked();
    return !this.conn.blocked;
  }

  end(chunk?: Uint8Array | string): void {
    if (this.dead || this.ended) return;
    if (!this.started) this.start();
    if (chunk !== undefined && !this.noBody && chunk.length !== 0) this.body(chunk);
    if (this.chunked) this.emit('0\r\n\r\n'); // last-chunk, no trailers (RFC 9112 §7.1)
    this.ended = true;
    if (this.conn.queue[0] === this) activateNext(this.conn, this.out);
  }

  onWritable(callback: () => void): void {
    this.writableCallback = callback;
    if (this.direct()) {
      this.out.syncBlocked();
      if (!this.conn.blocked) this.notifyWritable();
    }
  }

  onAborted(callback: () => void): void {
    this.abortedCallback = callback;
  }

  abort(): void {
    if (this.dead) return;
    this.dead = true;
    this.ended = true;
    if (!this.conn.closed) this.out.abort(this.conn.id);
  }

  sendFile(fd: number, offset: number, length: number, done: (error?: Error) => void): void {
    if (this.dead || this.ended) {
      queueMicrotask(() => done(new Error('TSGI_ERR_ABORTED: the exchange is over')));
      return;
    }
    if (!this.started) this.start();
    if (this.noBody || length === 0) {
      queueMicrotask(() => done());
      return;
    }
    if (this.chunked) this.emit(length.toString(16) + '\r\n');
    if (this.direct()) this.runFile(fd, offset, length, done);
    else this.hold(() => this.runFile(fd, offset, length, done), 0);
  }

  // ----------------------------------------------------------------- engine ----

  /** Front of the queue, nothing held and no file in progress: bytes go straight out. */
  private direct(): boolean {
    return this.conn.queue[0] === this && this.held === null && !this.fileBusy;
  }

  private start(): void {
    const r = this.response;
    if (!r) throw new Error('TSGI_ERR_NO_HEAD: writeHead() must come before write() or end()');
    this.started = true;
    const minor = this.versionMinor;
    let framing: number = r.framing;
    if (framing === 1 && minor === 0) framing = 2; // no chunked coding on HTTP/1.0 (§7)
    // framing 2 (Close) ends the body by closing; 3 (None) has no body at all.
    const keepAlive = r.keepAlive && this.keepAlive && framing !== 2 && !this.out.closing;
    this.noBody = r.noBody || framing === 3;
    this.chunked = framing === 1 && !this.noBody;
    this.endFlags = keepAlive ? OP_END : OP_END | OP_CLOSE;
    const connection = !keepAlive ? CONNECTION_CLOSE : minor === 0 ? CONNECTION_KEEP_ALIVE : CONNECTION_DEFAULT;
    if (this.direct()) this.out.sendHead(this.conn.id, r, framing, connection);
    else this.hold(headText(r, framing, connection, r.hasDate ? '' : this.out.dateLine()), 0);
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
  }

  /** Sends what was held while the exchange waited behind others or behind a file. */
  releaseHeld(): void {
    const id = this.conn.id;
    if (this.continuePending) {
      this.continuePending = false;
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
    queueMicrotask(callback);
  }

  private runFile(fd: number, offset: number, length: number, done: (error?: Error) => void): void {
    this.out.flush(); // bytes before the file must reach C++ first
    this.fileBusy = true;
    this.fileDone = done;
    this.conn.fileExchange = this;
    const r = this.out.sendFile(this.conn.id, fd, offset, length);
    if (r !== 0) queueMicrotask(() => this.finishFile(r === 1 ? 0 : -r));
  }

  /** kEventFileDone, or a synchronous result of sendFile. */
  finishFile(errno: number): void {
    if (!this.fileBusy) return;
    this.fileBusy = false;
    this.conn.fileExchange = null;
    const done = this.fileDone;
    this.fileDone = null;
    if (this.dead) {
      done?.(new Error('TSGI_ERR_ABORTED: the connection closed during sendFile'));
      return;
    }
    if (this.chunked && errno === 0) this.out.sendLatin1(this.conn.id, '\r\n');
    if (this.conn.queue[0] === this) activateNext(this.conn, this.out);
    done?.(errno === 0 ? undefined : new Error(`TSGI_ERR_SENDFILE: sendfile failed (errno ${errno})`));
  }

  /** kEventClosed: the client is gone. */
  connectionClosed(): void {
    if (this.fileBusy) this.finishFile(32);
    if (this.dead) return;
    this.dead = true;
    const callback = this.abortedCallback;
    if (!this.ended && callback) {
      try {
        callback();
      } catch (error) {
        this.out.report(error, 'onAborted callback');
      }
    }
    this.ended = true;
  }
}

/** Hands finished responses at the front of the queue to C++ and wakes the next one. */
export function activateNext(conn: NativeConnection, out: ExchangeOutput): void {
  for (;;) {
    const ex = conn.queue[0];
    if (ex === undefined) return;
    ex.releaseHeld();
    if (!ex.finished) {
      out.syncBlocked();
      if (!conn.blocked) ex.notifyWritable();
      return;
    }
    conn.queue.shift();
    out.sendEnd(conn.id, ex.flags);
  }
}
