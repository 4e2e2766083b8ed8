// The JavaScript half of one native server: turns each batch of C++ events into
// exchanges, and collects response bytes in shared memory so that a whole batch goes
// back to C++ at once (returned from dispatch, or one flush per microtask turn).
import type { Logger } from '../types.js';
import type { RequestHandler, ResponseHead } from './types.js';
import { HeadCache } from './native-head-writer.js';
import type { HeadSource } from './native-head.js';
import { NativeConnection } from './native-connection.js';
import { NativeExchange, type ExchangeOutput } from './native-exchange.js';
import {
  CMD_ABORT, CMD_PAUSE, CMD_RESUME, CONTROL_BLOCKED_COUNT, CONTROL_BLOCKED_IDS, CONTROL_DATE_GENERATION,
  EV_BODY, EV_CLOSED, EV_FILE_DONE, EV_OPEN, EV_REQUEST, EV_SERVER_CLOSED, EV_WRITABLE, INTS_PER_HEADER,
  INTS_PER_OP, OP_DATA, REQUEST_FIXED_INTS, SLOT_MASK, type NativeAddon, type NativeHandle,
} from './native-protocol.js';

/** Writes at least this big skip the shared output area (one copy fewer). */
const LARGE_WRITE = 32 * 1024;

type FastBuffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number, length: number): number;
  utf8Write(text: string, offset: number, length: number): number;
};

export interface SharedBuffers {
  input: Buffer;
  events: Int32Array;
  output: Buffer;
  ops: Int32Array;
  control: Int32Array;
  date: Buffer;
}

export class NativeServer implements HeadSource, ExchangeOutput {
  readonly input: Buffer;
  readonly events: Int32Array;
  batch = 0;
  closing = false;
  handle: NativeHandle | null = null;
  readonly closed: Promise<void>;

  private readonly output: FastBuffer;
  private readonly ops: Int32Array;
  private readonly control: Int32Array;
  private readonly date: FastBuffer;
  private readonly conns: (NativeConnection | undefined)[] = [];
  private opCount = 0;
  private outPos = 0;
  private lastOp = -1;
  private inDispatch = false;
  private flushQueued = false;
  private dateGeneration = -1;
  private readonly headCache = new HeadCache();
  private readonly dateLineBound = (): string => this.dateLine();
  private dateText = '';
  private resolveClosed!: () => void;
  private readonly flushTask = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  constructor(
    private readonly addon: NativeAddon,
    buffers: SharedBuffers,
    private readonly handler: RequestHandler,
    private readonly logger: Logger,
  ) {
    this.input = buffers.input;
    this.events = buffers.events;
    this.output = buffers.output as FastBuffer;
    this.ops = buffers.ops;
    this.control = buffers.control;
    this.date = buffers.date as FastBuffer;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  // --------------------------------------------------------------- inbound ----

  /** Called by C++ once per batch; returns the number of ops it wrote. */
  readonly dispatch = (eventInts: number): number => {
    const ev = this.events;
    this.batch++;
    this.inDispatch = true;
    if (this.control[CONTROL_BLOCKED_COUNT] !== 0) this.syncBlocked();
    let i = 0;
    while (i < eventInts) {
      switch (ev[i]) {
        case EV_REQUEST:
          this.onRequest(i);
          i += REQUEST_FIXED_INTS + INTS_PER_HEADER * ev[i + 11];
          break;
        case EV_BODY: {
          const conn = this.conn(ev[i + 1]);
          const ex = conn?.reading;
          if (ex) {
            const last = ev[i + 4] !== 0;
            if (last) conn!.reading = null;
            ex.deliverBody(this.input.subarray(ev[i + 2], ev[i + 2] + ev[i + 3]), last);
          }
          i += 5;
          break;
        }
        case EV_OPEN: {
          const id = ev[i + 1];
          const conn = new NativeConnection(id);
          const at = ev[i + 2];
          conn.remoteAddress = (this.input as FastBuffer).latin1Slice(at, at + ev[i + 3]);
          conn.remotePort = ev[i + 4];
          conn.localPort = ev[i + 5];
          this.conns[id & SLOT_MASK] = conn;
          i += 6;
          break;
        }
        case EV_WRITABLE: {
          const conn = this.conn(ev[i + 1]);
          if (conn) {
            conn.blocked = false;
            conn.first?.notifyWritable();
          }
          i += 2;
          break;
        }
        case EV_CLOSED:
          this.onClosed(ev[i + 1]);
          i += 2;
          break;
        case EV_FILE_DONE:
          this.conn(ev[i + 1])?.fileExchange?.finishFile(ev[i + 2]);
          i += 3;
          break;
        case EV_SERVER_CLOSED:
          this.handle = null;
          this.resolveClosed();
          i += 2;
          break;
        default:
          this.logger.error(`tsgi native: unknown event ${ev[i]} at ${i}`);
          i = eventInts;
      }
    }
    this.inDispatch = false;
    const n = this.opCount;
    this.opCount = 0;
    this.outPos = 0;
    this.lastOp = -1;
    return n;
  };

  private conn(id: number): NativeConnection | undefined {
    const conn = this.conns[id & SLOT_MASK];
    return conn !== undefined && conn.id === id ? conn : undefined;
  }

  private onRequest(i: number): void {
    const ev = this.events;
    const id = ev[i + 1];
    let conn = this.conn(id);
    if (conn === undefined) {
      conn = new NativeConnection(id);
      this.conns[id & SLOT_MASK] = conn;
    }
    const low = ev[i + 9];
    const high = ev[i + 10];
    const bodyLength = low === -1 && high === -1 ? -1 : high * 4294967296 + (low >>> 0);
    const ex = new NativeExchange(this, conn, i, bodyLength);
    conn.enqueue(ex);
    if (bodyLength !== 0) conn.reading = ex;
    try {
      this.handler(ex);
    } catch (error) {
      this.report(error, 'request handler');
      ex.abort();
    }
  }

  private onClosed(id: number): void {
    const conn = this.conn(id);
    if (!conn) return;
    conn.closed = true;
    this.conns[id & SLOT_MASK] = undefined;
    const queue = conn.takeAll();
    for (const ex of queue) ex.connectionClosed();
    if (conn.reading && !queue.includes(conn.reading)) conn.reading.connectionClosed();
    conn.reading = null;
  }

  // -------------------------------------------------------------- outbound ----

  dateLine(): string {
    const generation = this.control[CONTROL_DATE_GENERATION];
    if (generation !== this.dateGeneration) {
      this.dateGeneration = generation;
      this.dateText = 'Date: ' + this.date.latin1Slice(0, 29) + '\r\n';
    }
    return this.dateText;
  }

  /** Room for `bytes` more output and two more ops, flushing first if needed. */
  private ensure(bytes: number): void {
    if (this.outPos + bytes > this.output.length || (this.opCount + 2) * INTS_PER_OP > this.ops.length) this.flush();
  }

  private pushData(id: number, n: number): void {
    const ops = this.ops;
    const k = this.lastOp;
    if (k >= 0 && ops[k] === id && ops[k + 1] === OP_DATA && ops[k + 2] + ops[k + 3] === this.outPos) {
      ops[k + 3] += n;
    } else {
      const j = this.opCount * INTS_PER_OP;
      ops[j] = id;
      ops[j + 1] = OP_DATA;
      ops[j + 2] = this.outPos;
      ops[j + 3] = n;
      this.lastOp = j;
      this.opCount++;
    }
    this.outPos += n;
    if (!this.inDispatch && !this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushTask);
    }
  }

  sendLatin1(id: number, text: string): void {
    const n = text.length;
    if (n >= LARGE_WRITE) return this.sendLarge(id, Buffer.from(text, 'latin1'));
    this.ensure(n);
    this.output.latin1Write(text, this.outPos, n);
    this.pushData(id, n);
  }

  sendHead(id: number, head: ResponseHead, framing: number, connection: number): void {
    const prefix = this.headCache.prefix(head, framing, connection, this.control[CONTROL_DATE_GENERATION], this.dateLineBound);
    this.ensure(prefix.length + HeadCache.TAIL_ROOM);
    this.output.set(prefix, this.outPos);
    const end = this.headCache.finish(this.output, this.outPos + prefix.length, head.contentLength);
    this.pushData(id, end - this.outPos);
  }

  /** Head and `body` (UTF-8 text or bytes; undefined for none) of a response that ended
   * before anything was sent, in one op: the common case of a synchronous app, so one
   * room check and one op record (sendEnd then marks that same op). */
  sendWhole(id: number, head: ResponseHead, framing: number, connection: number,
    body: Uint8Array | string | undefined): void {
    const prefix = this.headCache.prefix(head, framing, connection, this.control[CONTROL_DATE_GENERATION], this.dateLineBound);
    const bodyRoom = body === undefined ? 0 : typeof body === 'string' ? body.length * 3 : body.length;
    const room = prefix.length + HeadCache.TAIL_ROOM + bodyRoom;
    if (room >= LARGE_WRITE) {
      this.sendHead(id, head, framing, connection);
      if (body === undefined) return;
      return typeof body === 'string' ? this.sendUtf8(id, body) : this.sendBytes(id, body);
    }
    this.ensure(room);
    const out = this.output;
    const at = this.outPos;
    out.set(prefix, at);
    let p = this.headCache.finish(out, at + prefix.length, head.contentLength);
    if (body !== undefined) p = typeof body === 'string' ? this.putUtf8(body, p) : (out.set(body, p), p + body.length);
    this.pushData(id, p - at);
  }

  sendUtf8(id: number, text: string): void {
    const length = text.length;
    if (length * 3 >= LARGE_WRITE) return this.sendLarge(id, Buffer.from(text, 'utf8'));
    this.ensure(length * 3);
    this.pushData(id, this.putUtf8(text, this.outPos) - this.outPos);
  }

  /** Encodes text at output[at...] (room checked by the caller); returns the end. */
  private putUtf8(text: string, at: number): number {
    const length = text.length;
    if (length <= 64) {
      // Short ASCII text: store the code units directly (no encoder call).
      const out = this.output;
      let i = 0;
      for (; i < length; i++) {
        const c = text.charCodeAt(i);
        if (c > 127) break;
        out[at + i] = c;
      }
      if (i === length) return at + length;
    }
    return at + this.output.utf8Write(text, at, length * 3);
  }

  sendBytes(id: number, bytes: Uint8Array): void {
    const n = bytes.length;
    if (n >= LARGE_WRITE) return this.sendLarge(id, bytes);
    this.ensure(n);
    this.output.set(bytes, this.outPos);
    this.pushData(id, n);
  }

  private sendLarge(id: number, bytes: Uint8Array): void {
    this.flush();
    if (this.handle && this.addon.writeLarge(this.handle, id, bytes, 0) === 1) {
      const conn = this.conn(id);
      if (conn) conn.blocked = true;
    }
  }

  sendEnd(id: number, flags: number): void {
    const ops = this.ops;
    const k = this.lastOp;
    if (k >= 0 && ops[k] === id && ops[k + 1] === OP_DATA) {
      ops[k + 1] |= flags;
    } else {
      this.ensure(0);
      const j = this.opCount * INTS_PER_OP;
      ops[j] = id;
      ops[j + 1] = flags;
      ops[j + 2] = 0;
      ops[j + 3] = 0;
      this.lastOp = j;
      this.opCount++;
      if (!this.inDispatch && !this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(this.flushTask);
      }
    }
  }

  flush(): void {
    const n = this.opCount;
    if (n === 0) return;
    this.opCount = 0;
    this.outPos = 0;
    this.lastOp = -1;
    if (this.handle) this.addon.flush(this.handle, n);
    this.syncBlocked();
  }

  /** Marks the connections C++ reported over its high-water mark. */
  syncBlocked(): void {
    const control = this.control;
    const n = control[CONTROL_BLOCKED_COUNT];
    if (n === 0) return;
    for (let i = 0; i < n; i++) {
      const conn = this.conn(control[CONTROL_BLOCKED_IDS + i]);
      if (conn) conn.blocked = true;
    }
    control[CONTROL_BLOCKED_COUNT] = 0;
  }

  pause(id: number, paused: boolean): void {
    if (this.handle) this.addon.control(this.handle, id, paused ? CMD_PAUSE : CMD_RESUME);
  }

  abort(id: number): void {
    this.flush();
    if (this.handle) this.addon.control(this.handle, id, CMD_ABORT);
  }

  sendFile(id: number, fd: number, offset: number, length: number): number {
    return this.handle ? this.addon.sendFile(this.handle, id, fd, offset, length) : -32;
  }

  report(error: unknown, where: string): void {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.logger.error(`tsgi native: ${where} threw: ${text}`);
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.flush();
      if (this.handle) this.addon.close(this.handle);
    }
    return this.closed;
  }
}

