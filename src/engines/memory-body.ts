// A response of the memory engine read as a body (an async iterable of chunks) by a
// middleware that runs an inner app on it (compress): the data the inner exchange
// produces is queued until iterated, with backpressure (PEP 3333 "Buffering and
// Streaming": the inner body is not pulled faster than the outer client takes it).

import type { MemoryExchange } from './memory.js';

/** Queued bytes above which the inner exchange waits for the reader. */
const HIGH_WATER = 64 * 1024;

export class BodyPipe implements AsyncIterable<Uint8Array> {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private wake: (() => void) | undefined;
  private blocked = false;
  exchange: MemoryExchange | undefined;

  /** Bytes so far (for a decision made on the first bytes). */
  get size(): number { return this.queued; }
  get done(): boolean { return this.ended || this.failure !== undefined; }

  /** The sink's data(): false when the reader is behind. */
  push(chunk: Uint8Array): boolean {
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.notify();
    if (this.queued < HIGH_WATER) return true;
    this.blocked = true;
    return false;
  }

  end(): void {
    this.ended = true;
    this.notify();
  }

  /** The inner response failed or was cut: the reader gets this error (its server then
   * closes the connection: PEP 3333 "Error Handling"). */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.notify();
  }

  /** Everything queued, taken out (for a body that ended before a decision). */
  take(): Uint8Array[] {
    const all = this.queue.splice(0);
    this.queued = 0;
    this.release();
    return all;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      if (this.queue.length > 0) {
        const chunk = this.queue.shift()!;
        this.queued -= chunk.length;
        this.release();
        yield chunk;
        continue;
      }
      if (this.failure) throw this.failure.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
  }

  private release(): void {
    if (!this.blocked || this.queued >= HIGH_WATER / 2) return;
    this.blocked = false;
    this.exchange?.drained();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
