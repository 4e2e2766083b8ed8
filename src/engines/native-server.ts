// The JavaScript half of one native server: turns each batch of C++ events into
// exchanges, and collects response bytes in shared memory so that a whole batch goes
// back to C++ at once (returned from dispatch, or one flush per microtask turn).
import { describeThrown } from '../error-text.js';
import type { Logger } from '../types.js';
import type { RequestHandler, ResponseHead, TlsFacts } from '../contract.js';
import { HeadCache } from './native-head-writer.js';
import type { HeadSource } from './native-head.js';
import { NativeConnection } from './native-connection.js';
import { NativeExchange, type ExchangeOutput } from './native-exchange.js';
import {
  BARE_EVENT_INTS, BODY_INTS, BODY_LAST, BODY_LENGTH, BODY_OFFSET, CMD_ABORT, CMD_PAUSE, CMD_RESUME,
  CONTROL_BLOCKED_COUNT, CONTROL_BLOCKED_IDS, CONTROL_DATE_GENERATION, EV_BODY, EV_CLOSED,
  EV_FILE_DONE, EV_OPEN, EV_REQUEST, EV_SERVER_CLOSED, EV_WRITABLE, FILE_DONE_ERRNO, FILE_DONE_INTS,
  INTS_PER_HEADER, INTS_PER_OP, OPEN_ADDRESS, OPEN_ADDRESS_INTS, OPEN_ADDRESS_LENGTH, OPEN_INTS,
  OPEN_LOCAL_PORT, OPEN_REMOTE_PORT, OP_CONN, OP_DATA, OP_FLAGS, OP_LENGTH, OP_OFFSET, RECORD_CONN,
  RECORD_TYPE, REQUEST_BODY_HIGH, REQUEST_BODY_LOW, REQUEST_FIXED_INTS, REQUEST_HEADER_COUNT,
  SLOT_MASK, type NativeAddon, type NativeHandle,
} from './native-protocol.js';

/** Writes at least this big skip the shared output area (one copy fewer). */
const LARGE_WRITE = 32 * 1024;
/** Output bytes, and write calls, queued without the event loop turning, before write()
 * says false until the next turn: the kernel takes megabytes at once, and a body that
 * streams small chunks from microtasks would otherwise starve timers and other I/O. */
const TURN_BYTES = 256 * 1024;
const TURN_WRITES = 1024;

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
  /** Dispatch generation: a head records it and is valid only while it is unchanged.
   * It changes when a dispatch starts and when it returns, because after the return C++
   * reads other connections' bytes into the same input area. */
  batch = 0;
  closing = false;
  handle: NativeHandle | null = null;
  readonly closed: Promise<void>;

  private readonly output: FastBuffer;
  private readonly ops: Int32Array;
  private readonly control: Int32Array;
  private readonly date: FastBuffer;
  /** The events as bytes (EV_OPEN carries the peer address in its record). */
  private readonly eventBytes: FastBuffer;
  /** Index of the event being handled (to skip it when it throws). */
  private cursor = 0;
  private readonly conns: (NativeConnection | undefined)[] = [];
  private opCount = 0;
  private turnBytes = 0;
  private turnWrites = 0;
  private turnScheduled = false;
  private yielded: NativeConnection[] = [];
  private readonly newTurn = (): void => {
    this.turnScheduled = false;
    this.turnBytes = 0;
    this.turnWrites = 0;
    const waiting = this.yielded;
    this.yielded = [];
    for (const conn of waiting) {
      conn.yielding = false;
      if (!conn.blocked && !conn.closed) conn.first?.notifyWritable();
    }
  };
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
    /** A TLS listener: connections have TlsFacts (tlsFacts). */
    private readonly tls = false,
  ) {
    this.input = buffers.input;
    this.events = buffers.events;
    this.output = buffers.output as FastBuffer;
    this.ops = buffers.ops;
    this.control = buffers.control;
    this.date = buffers.date as FastBuffer;
    this.eventBytes = Buffer.from(this.events.buffer, this.events.byteOffset, this.events.byteLength) as FastBuffer;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  // --------------------------------------------------------------- inbound ----

  /** Called by C++ once per batch; returns the number of ops it wrote. Never throws: an
   * exception from any handler or callback is logged and closes its connection, and
   * the rest of the batch goes on (a throw into C++ would end the process). */
  readonly dispatch = (eventInts: number): number => {
    this.batch++;
    this.turnBytes = 0; // the event loop turned
    this.turnWrites = 0;
    this.inDispatch = true;
    try {
      if (this.control[CONTROL_BLOCKED_COUNT] !== 0) this.syncBlocked();
      let i = 0;
      while (i < eventInts) {
        try {
          i = this.handleEvents(i, eventInts);
        } catch (error) {
          i = this.cursor;
          const id = this.events[i + RECORD_CONN];
          this.report(error, 'event handling');
          i += this.eventSize(i, eventInts);
          if (this.conn(id)) this.abort(id);
        }
      }
    } finally {
      // Heads and body slices of this batch expire now (NativeExchange.live()).
      this.batch++;
      this.inDispatch = false;
    }
    const n = this.opCount;
    this.opCount = 0;
    this.outPos = 0;
    this.lastOp = -1;
    return n;
  };

  private eventSize(i: number, end: number): number {
    switch (this.events[i + RECORD_TYPE]) {
      case EV_REQUEST: return REQUEST_FIXED_INTS + INTS_PER_HEADER * this.events[i + REQUEST_HEADER_COUNT];
      case EV_BODY: return BODY_INTS;
      case EV_OPEN: return OPEN_INTS;
      case EV_FILE_DONE: return FILE_DONE_INTS;
      case EV_WRITABLE: case EV_CLOSED: case EV_SERVER_CLOSED: return BARE_EVENT_INTS;
      default: return end - i;
    }
  }

  /** Handles events from i to end; returns end. this.cursor names the current one. */
  private handleEvents(i: number, eventInts: number): number {
    const ev = this.events;
    while (i < eventInts) {
      this.cursor = i;
      switch (ev[i + RECORD_TYPE]) {
        case EV_REQUEST:
          this.onRequest(i);
          i += REQUEST_FIXED_INTS + INTS_PER_HEADER * ev[i + REQUEST_HEADER_COUNT];
          break;
        case EV_BODY: {
          const conn = this.conn(ev[i + RECORD_CONN]);
          const ex = conn?.reading;
          if (ex) {
            const last = ev[i + BODY_LAST] !== 0;
            if (last) conn!.reading = null;
            ex.deliverBody(this.input.subarray(ev[i + BODY_OFFSET], ev[i + BODY_OFFSET] + ev[i + BODY_LENGTH]), last);
          }
          i += BODY_INTS;
          break;
        }
        case EV_OPEN: {
          const id = ev[i + RECORD_CONN];
          const conn = new NativeConnection(id);
          conn.remotePort = ev[i + OPEN_REMOTE_PORT];
          conn.localPort = ev[i + OPEN_LOCAL_PORT];
          const at = (i + OPEN_ADDRESS) * 4;
          conn.remoteAddress = this.eventBytes.latin1Slice(at, at + Math.min(ev[i + OPEN_ADDRESS_LENGTH], OPEN_ADDRESS_INTS * 4));
          this.conns[id & SLOT_MASK] = conn;
          i += OPEN_INTS;
          break;
        }
        case EV_WRITABLE: {
          const conn = this.conn(ev[i + RECORD_CONN]);
          if (conn) {
            conn.blocked = false;
            if (!conn.yielding) conn.first?.notifyWritable();
          }
          i += BARE_EVENT_INTS;
          break;
        }
        case EV_CLOSED:
          this.onClosed(ev[i + RECORD_CONN]);
          i += BARE_EVENT_INTS;
          break;
        case EV_FILE_DONE:
          this.conn(ev[i + RECORD_CONN])?.fileExchange?.finishFile(ev[i + FILE_DONE_ERRNO]);
          i += FILE_DONE_INTS;
          break;
        case EV_SERVER_CLOSED:
          this.handle = null;
          this.resolveClosed();
          i += BARE_EVENT_INTS;
          break;
        default:
          this.logger.error(`tsgi native: unknown event ${ev[i]} at ${i}`);
          i = eventInts;
      }
    }
    return i;
  }

  private conn(id: number): NativeConnection | undefined {
    const conn = this.conns[id & SLOT_MASK];
    return conn !== undefined && conn.id === id ? conn : undefined;
  }

  private onRequest(i: number): void {
    const ev = this.events;
    const id = ev[i + RECORD_CONN];
    let conn = this.conn(id);
    if (conn === undefined) {
      conn = new NativeConnection(id);
      this.conns[id & SLOT_MASK] = conn;
    }
    const low = ev[i + REQUEST_BODY_LOW];
    const high = ev[i + REQUEST_BODY_HIGH];
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
    if (k >= 0 && ops[k + OP_CONN] === id && ops[k + OP_FLAGS] === OP_DATA && ops[k + OP_OFFSET] + ops[k + OP_LENGTH] === this.outPos) {
      ops[k + OP_LENGTH] += n;
    } else {
      const j = this.opCount * INTS_PER_OP;
      ops[j + OP_CONN] = id;
      ops[j + OP_FLAGS] = OP_DATA;
      ops[j + OP_OFFSET] = this.outPos;
      ops[j + OP_LENGTH] = n;
      this.lastOp = j;
      this.opCount++;
    }
    this.outPos += n;
    this.turnBytes += n;
    this.turnWrites++;
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

  sendHead(id: number, head: ResponseHead): void {
    const prefix = this.headCache.prefix(head, this.control[CONTROL_DATE_GENERATION], this.dateLineBound);
    this.ensure(prefix.length + HeadCache.TAIL_ROOM);
    this.output.set(prefix, this.outPos);
    const end = this.headCache.finish(this.output, this.outPos + prefix.length, head.contentLength);
    this.pushData(id, end - this.outPos);
  }

  /** Head and `body` (UTF-8 text or bytes; undefined for none) of a response that ended
   * before anything was sent, in one op: the common case of a synchronous app, so one
   * room check and one op record (sendEnd then marks that same op). */
  sendWhole(id: number, head: ResponseHead, body: Uint8Array | string | undefined): void {
    const prefix = this.headCache.prefix(head, this.control[CONTROL_DATE_GENERATION], this.dateLineBound);
    const bodyRoom = body === undefined ? 0 : typeof body === 'string' ? body.length * 3 : body.length;
    const room = prefix.length + HeadCache.TAIL_ROOM + bodyRoom;
    if (room >= LARGE_WRITE) {
      this.sendHead(id, head);
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

  /** Fairness between the event loop and a body that streams from microtasks: true
   * (and `conn` resumes on the next turn) once this turn's output passed its budget. */
  yieldTurn(conn: NativeConnection): boolean {
    if (conn.yielding) return true;
    if (this.turnBytes < TURN_BYTES && this.turnWrites < TURN_WRITES) return false;
    conn.yielding = true;
    this.yielded.push(conn);
    if (!this.turnScheduled) {
      this.turnScheduled = true;
      setImmediate(this.newTurn);
    }
    return true;
  }

  private sendLarge(id: number, bytes: Uint8Array): void {
    this.turnBytes += bytes.length;
    this.turnWrites++;
    this.flush();
    if (this.handle && this.addon.writeLarge(this.handle, id, bytes, 0) === 1) {
      const conn = this.conn(id);
      if (conn) conn.blocked = true;
    }
  }

  sendEnd(id: number, flags: number): void {
    const ops = this.ops;
    const k = this.lastOp;
    if (k >= 0 && ops[k + OP_CONN] === id && ops[k + OP_FLAGS] === OP_DATA) {
      ops[k + OP_FLAGS] |= flags;
    } else {
      this.ensure(0);
      const j = this.opCount * INTS_PER_OP;
      ops[j + OP_CONN] = id;
      ops[j + OP_FLAGS] = flags;
      ops[j + OP_OFFSET] = 0;
      ops[j + OP_LENGTH] = 0;
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

  /** RequestHead.tls: one addon call per connection, cached on it (undefined on a plain
   * listener, and on a connection C++ no longer knows). */
  tlsFacts(conn: NativeConnection): TlsFacts | undefined {
    if (!this.tls) return undefined;
    if (conn.tls === undefined && this.handle) {
      const f = this.addon.tlsFacts(this.handle, conn.id);
      if (f) conn.tls = { protocol: f[0], cipher: f[1], peerSubject: f[2], verify: f[3], clientCertRequested: f[4] };
    }
    return conn.tls;
  }

  sendFile(id: number, fd: number, offset: number, length: number): number {
    return this.handle ? this.addon.sendFile(this.handle, id, fd, offset, length) : -32;
  }

  report(error: unknown, where: string): void {
    const text = describeThrown(error);
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

