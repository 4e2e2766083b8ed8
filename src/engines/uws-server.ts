// The server of engine `uws`: exchanges not yet over, sendTimeout over blocked writes, and
// a close() that ends in bounded time.

import type { EngineServer } from '../contract.js';
import type { Logger } from '../types.js';
import type { UwsListenSocket } from './uws-loader.js';
import { describeThrown } from '../error-text.js';
import type { UwsExchange } from './uws-exchange.js';

export class UwsServer implements EngineServer {
  /** Exchanges not yet ended or aborted. */
  /** Exchanges not yet over, as an intrusive list (no allocation per request). */
  private first: UwsExchange | undefined;
  private count = 0;
  closing = false;
  /** Exchanges whose last write was refused (see sendTimeout). */
  private readonly blocked = new Set<UwsExchange>();
  private sendTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private resolveClosed: (() => void) | undefined;
  constructor(readonly host: string, readonly port: number, private readonly listenSocket: UwsListenSocket,
    private readonly closeListen: (s: UwsListenSocket) => void, private readonly closeApp: () => void, readonly logger: Logger,
    private readonly sendMs: number, private readonly graceMs: number) {}

  link(exchange: UwsExchange): void {
    exchange.linked = true;
    exchange.next = this.first;
    if (this.first) this.first.prev = exchange;
    this.first = exchange;
    this.count++;
  }
  unlink(exchange: UwsExchange): void {
    if (!exchange.linked) return;
    exchange.linked = false;
    if (exchange.prev) exchange.prev.next = exchange.next;
    else this.first = exchange.next;
    if (exchange.next) exchange.next.prev = exchange.prev;
    exchange.prev = exchange.next = undefined;
    this.count--;
  }

  block(exchange: UwsExchange): void {
    if (this.sendMs <= 0 || this.blocked.has(exchange)) return;
    exchange.lastProgress = Date.now();
    this.blocked.add(exchange);
    this.sendTimer ??= setInterval(() => this.checkSend(), Math.max(50, this.sendMs >> 2)).unref();
  }
  unblock(exchange: UwsExchange): void {
    if (this.blocked.delete(exchange) && this.blocked.size === 0) {
      clearInterval(this.sendTimer);
      this.sendTimer = undefined;
    }
  }
  private checkSend(): void {
    const now = Date.now();
    for (const exchange of this.blocked) {
      if (now - exchange.lastProgress < this.sendMs) continue;
      this.unblock(exchange);
      try { exchange.forceClose(); } catch (error) { exchange.fault(error); }
    }
  }

  private closed: Promise<void> | undefined;
  close(): Promise<void> {
    return (this.closed ??= this.startClose());
  }
  private startClose(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.closeListen(this.listenSocket);
      // In-flight responses get graceMs to finish, then their connections are closed.
      this.graceTimer = setTimeout(() => {
        const all: UwsExchange[] = [];
        for (let e = this.first; e; e = e.next) all.push(e);
        for (const exchange of all) {
          try { exchange.forceClose(); } catch (error) { exchange.fault(error); }
        }
      }, this.graceMs).unref();
    }
    return new Promise((resolve) => {
      this.resolveClosed = resolve;
      this.maybeFinished();
    });
  }
  maybeFinished(): void {
    if (this.closing && this.count === 0 && this.resolveClosed) {
      clearTimeout(this.graceTimer);
      const r = this.resolveClosed;
      this.resolveClosed = undefined;
      // What is left has no exchange: idle keep-alive connections and heads still
      // arriving. uWS.js cannot enumerate them, but App.close() closes every socket; it
      // runs on the next turn, never inside a uWS callback (this may be called from one).
      setImmediate(() => {
        try {
          this.closeApp();
        } catch (error) {
          this.logger.error(`tsgi uws: App.close() threw: ${describeThrown(error)}`);
        }
        r();
      });
    }
  }
}
