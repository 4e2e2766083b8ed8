// One client connection of the native engine as JavaScript sees it, and the queue that
// keeps pipelined responses in request order (RFC 9112 §9.3.2): only the exchange at the
// front writes to the socket; the others hold their bytes until it ends.
import type { TlsFacts } from '../contract.js';
import type { NativeExchange } from './native-exchange.js';

/** What activateNext needs from the server (native-server.ts). */
export interface QueueOutput {
  syncBlocked(): void;
  /** True when `conn` must wait for the next event-loop turn before writing more. */
  yieldTurn(conn: NativeConnection): boolean;
  sendEnd(id: number, flags: number): void;
}

export class NativeConnection {
  remoteAddress = '';
  remotePort = 0;
  localPort = 0;
  /** Exchanges whose response has not been handed to C++ completely, oldest first: a
   * list linked through NativeExchange.next (no array work per request). */
  first: NativeExchange | null = null;
  last: NativeExchange | null = null;
  /** The exchange whose request body is still arriving. */
  reading: NativeExchange | null = null;
  fileExchange: NativeExchange | null = null;
  /** Bytes held by exchanges waiting behind the front one (native-exchange.ts). */
  heldBytes = 0;
  /** Waits for the next event-loop turn (NativeServer.yieldTurn). */
  yielding = false;
  /** C++ holds more than its high-water mark of output for this connection. */
  blocked = false;
  closed = false;
  /** RequestHead.tls, asked once (NativeServer.tlsFacts). */
  tls: TlsFacts | undefined = undefined;
  constructor(readonly id: number) {}

  enqueue(ex: NativeExchange): void {
    if (this.last === null) this.first = ex;
    else this.last.next = ex;
    this.last = ex;
  }

  /** Empties the queue; returns what it held, oldest first. */
  takeAll(): NativeExchange[] {
    const all: NativeExchange[] = [];
    for (let ex = this.first; ex !== null; ex = ex.next) all.push(ex);
    this.first = this.last = null;
    return all;
  }
}

/** Hands finished responses at the front of the queue to C++ and wakes the next one. */
export function activateNext(conn: NativeConnection, out: QueueOutput): void {
  for (;;) {
    const ex = conn.first;
    if (ex === null) return;
    ex.releaseHeld();
    if (!ex.finished) {
      out.syncBlocked();
      if (!conn.blocked && !out.yieldTurn(conn)) ex.notifyWritable();
      return;
    }
    conn.first = ex.next;
    if (conn.first === null) conn.last = null;
    ex.next = null;
    out.sendEnd(conn.id, ex.flags);
  }
}
