// Per-connection guards of engine `node` that node:http does not give:
// - deadlines only progress can meet: node:http restarts its keep-alive timer on every
//   byte, so "\r" and "\n" dribbled between requests (RFC 9112 §2.2 lets a server skip
//   them) would hold a connection forever; here a connection waiting for a request has
//   keepAliveTimeout, then headersTimeout once bytes arrived, and no byte extends either;
// - sendTimeout: queued response bytes the client accepts none of for that long close
//   the connection (node:http has no write timeout; its socket timeout counts reads too);
// - lingering close (RFC 9112 §9.6): after a `Connection: close` response to a request
//   whose body is still arriving, half-close and read and discard for a bounded time,
//   so the client reads the answer instead of a reset.

import type { Socket } from 'node:net';

/** Lingering close: at most this long, and this many discarded bytes (as nginx and the
 * native engine: native/src/Connection.h kLingerMs). */
export const LINGER_MS = 2000;
export const LINGER_BYTES = 4 * 1024 * 1024;

const kConnection = Symbol('tsgi.node.connection');
/** Pipelined requests answered ahead of the client: node:http parses a whole read (64 KiB,
 * thousands of small requests) at once and queues every answer in memory; beyond this
 * many unfinished responses the next app call waits for one to finish. */
const PIPELINE_DEPTH = 32;
const enum Phase { Busy, Idle, Head }

const RESPONSE_408 = 'HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\nContent-Length: 16\r\nConnection: close\r\n\r\nRequest Timeout\n';

export interface ConnectionLimits {
  headersMs: number;
  keepAliveMs: number;
  sendMs: number;
}

interface SocketInternals { _bytesDispatched?: number; _handle?: { writeQueueSize?: number } | null }

/** Bytes the kernel has accepted from this socket: handed to libuv minus what libuv
 * still holds. It grows only when the client reads (more output queued does not move
 * it). net.Socket keeps no public counter of this. Limit: Linux wakes a blocked writer
 * only once a third of the send buffer is free, so a reader slower than about
 * sndbuf / 3 per sendTimeout (≈ 45 KB/s with a 4 MiB buffer and the default 30 s) looks
 * stalled; the native engine reads TIOCOUTQ instead, which JavaScript cannot. */
function accepted(socket: Socket): number {
  const s = socket as unknown as SocketInternals;
  return (s._bytesDispatched ?? socket.bytesWritten ?? 0) - (s._handle?.writeQueueSize ?? 0);
}
function queued(socket: Socket): number {
  return socket.writableLength + ((socket as unknown as SocketInternals)._handle?.writeQueueSize ?? 0);
}

export class NodeConnection {
  /** Requests whose response has not finished. */
  private busy = 0;
  private phase = Phase.Head;
  /** bytesRead when the connection went idle: any later byte starts a request head. */
  private readMark = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerMs = 0;
  private sendTimer: NodeJS.Timeout | undefined;
  private sendMark = 0;
  private sendProgressAt = 0;
  lingering = false;
  closed = false;
  /** Requests parsed while the socket's output is over its high-water mark: their app
   * runs once the client takes some (node:http would answer a whole read of pipelined
   * requests into memory first). */
  private deferred: (() => void)[] | undefined;
  private drainArmed = false;

  static of(socket: Socket): NodeConnection | undefined {
    return (socket as unknown as { [kConnection]?: NodeConnection })[kConnection];
  }

  constructor(readonly socket: Socket, private readonly limits: ConnectionLimits) {
    (socket as unknown as { [kConnection]?: NodeConnection })[kConnection] = this;
    // RFC 9112 §9.8 lets a server close an idle connection; the first request's head
    // has headersTimeout from the accept (node:http counts only from its first byte).
    this.arm(limits.headersMs);
    socket.once('close', () => {
      this.closed = true;
      this.deferred = undefined;
      clearTimeout(this.timer);
      clearTimeout(this.sendTimer);
    });
  }

  /** A request head arrived complete. */
  requestStarted(): void {
    this.busy++;
    this.phase = Phase.Busy;
  }
  /** Its response finished (or failed): with none left, the connection waits again. */
  requestDone(): void {
    --this.busy;
    if (this.deferred !== undefined) this.runDeferred();
    if (this.busy > 0 || this.closed || this.lingering) return;
    this.phase = Phase.Idle;
    this.readMark = this.socket.bytesRead;
    this.arm(this.limits.keepAliveMs);
  }

  private arm(ms: number): void {
    if (ms <= 0) return;
    if (this.timer && this.timerMs === ms) this.timer.refresh();
    else {
      clearTimeout(this.timer);
      this.timerMs = ms;
      this.timer = setTimeout(() => this.onDeadline(), ms).unref();
    }
  }
  private onDeadline(): void {
    if (this.phase === Phase.Busy || this.closed || this.lingering) return;
    const socket = this.socket;
    if (this.phase === Phase.Idle && socket.bytesRead > this.readMark && this.limits.headersMs > 0) {
      // Bytes came after the last response: a head is on its way; it gets headersTimeout
      // from now, once (a byte never extends it).
      this.phase = Phase.Head;
      this.arm(this.limits.headersMs);
      return;
    }
    // RFC 9110 §15.5.9: a head that did not complete gets 408; an idle connection just closes.
    if (this.phase === Phase.Head && socket.bytesRead > 0 && socket.writable) this.closeWith(RESPONSE_408);
    else socket.destroy();
  }
  private closeWith(bytes: string): void {
    this.lingering = true;
    this.socket.end(bytes);
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }

  /** Run `start` now, or once the socket drains when the client is not taking what is
   * already queued (Buffering and Streaming: never produce faster than the client reads). */
  whenWritable(start: () => void): void {
    if (!this.mustWait()) return start();
    (this.deferred ??= []).push(start);
    this.watchSend();
    this.runDeferred();
  }
  /** The next request must wait for the client to read (see whenWritable). */
  mustWait(): boolean {
    return this.deferred !== undefined || this.busy > PIPELINE_DEPTH || this.socket.writableNeedDrain;
  }
  hasQueued(): boolean {
    return queued(this.socket) > 0;
  }
  private runDeferred(): void {
    const queue = this.deferred;
    while (queue && queue.length > 0 && !this.closed) {
      // Unfinished responses of requests already handed to the app.
      if (this.busy - queue.length >= PIPELINE_DEPTH) return; // requestDone() comes back
      if (this.socket.writableNeedDrain) {
        if (!this.drainArmed) {
          this.drainArmed = true;
          this.socket.once('drain', () => { this.drainArmed = false; this.runDeferred(); });
        }
        return;
      }
      queue.shift()!();
    }
    if (this.deferred === queue) this.deferred = undefined;
  }

  /** Output is queued in user space or libuv: the client must accept some of it every
   * sendTimeout, else the connection closes. Checked every quarter of the timeout. */
  watchSend(): void {
    const ms = this.limits.sendMs;
    if (ms <= 0 || this.closed) return;
    if (this.sendTimer) return;
    this.sendMark = accepted(this.socket);
    this.sendProgressAt = Date.now();
    this.sendTimer = setInterval(() => this.checkSend(), Math.max(50, ms >> 2)).unref();
  }
  private checkSend(): void {
    const socket = this.socket;
    const waiting = queued(socket);
    if (this.closed || (waiting === 0 && this.busy === 0)) {
      clearInterval(this.sendTimer);
      this.sendTimer = undefined;
      return;
    }
    const now = Date.now();
    const mark = accepted(socket);
    // Nothing queued (the app is thinking) is no stall of the client's.
    if (waiting === 0 || mark > this.sendMark) {
      this.sendMark = mark;
      this.sendProgressAt = now;
    } else if (now - this.sendProgressAt >= this.limits.sendMs) {
      clearInterval(this.sendTimer);
      this.sendTimer = undefined;
      socket.destroy();
    }
  }

  /** The response on the wire closes the connection while the request's body is still
   * arriving: replace node:http's socket.destroySoon() (FIN, then close(2) at once,
   * which resets the connection when unread bytes remain) with a lingering close. */
  lingerOnClose(): void {
    if (this.lingering) return;
    this.lingering = true;
    const socket = this.socket;
    socket.destroySoon = function lingeringClose(this: Socket): void {
      if (this.writable) this.end(); // FIN after the response is flushed
      const start = this.bytesRead;
      const timer = setTimeout(() => this.destroy(), LINGER_MS).unref();
      const budget = setInterval(() => { if (this.bytesRead - start > LINGER_BYTES) this.destroy(); }, 50).unref();
      this.once('close', () => { clearTimeout(timer); clearInterval(budget); });
      // The client closed its side: nothing more to read.
      this.once('end', () => this.destroy());
      this.resume();
    };
  }
}
