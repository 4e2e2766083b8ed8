// Observe a PEP 3333 body without changing how the gateway sends it: arrays stay arrays
// (Content-Length fast path), sync iterables stay sync, a FileWrapper stays a FileWrapper
// (sendfile). `onChunk` sees each chunk, `onEnd` runs exactly once when the body is
// exhausted or closed (PEP 3333: the server calls close() whatever happens).

import { FileWrapper } from '../file-wrapper.js';
import type { Body, Chunk } from '../types.js';

export interface BodyTap {
  onChunk(chunk: Chunk): void;
  onEnd(): void;
  /** A FileWrapper body of this many bytes (sent by sendfile, not as chunks). */
  onFile?(length: number): void;
}

type Closable = { close?: () => unknown };

export const chunkLength = (chunk: unknown): number =>
  typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk instanceof Uint8Array ? chunk.length : 0;

/** Calls the body's close(), or finishes its iterator, as the gateway would. */
function closeInner(body: unknown, iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined, done: boolean): void {
  const closable = body as Closable;
  if (closable !== null && typeof closable === 'object' && typeof closable.close === 'function') {
    closable.close();
  } else if (iterator && !done && typeof iterator.return === 'function') {
    const r = iterator.return() as unknown;
    if (r instanceof Promise) r.catch(() => {});
  }
}

export function tapBody(body: Body, tap: BodyTap): Body {
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    tap.onEnd();
  };
  if (Array.isArray(body)) {
    for (const chunk of body) tap.onChunk(chunk as Chunk);
    end();
    return body;
  }
  if (body instanceof FileWrapper) {
    tap.onFile?.(body.length);
    const close = body.close.bind(body);
    (body as unknown as Closable).close = () => { try { close(); } finally { end(); } };
    return body;
  }
  if (body !== null && typeof body === 'object' && typeof (body as Iterable<Chunk>)[Symbol.iterator] === 'function') {
    let iterator: Iterator<Chunk> | undefined;
    let done = false;
    return {
      [Symbol.iterator]() {
        iterator = (body as Iterable<Chunk>)[Symbol.iterator]();
        return {
          next(): IteratorResult<Chunk> {
            const step = iterator!.next();
            if (step.done) { done = true; end(); } else tap.onChunk(step.value);
            return step;
          },
        };
      },
      close() { try { closeInner(body, iterator, done); } finally { end(); } },
    } as Iterable<Chunk> & Closable;
  }
  if (body !== null && typeof body === 'object' && typeof (body as AsyncIterable<Chunk>)[Symbol.asyncIterator] === 'function') {
    let iterator: AsyncIterator<Chunk> | undefined;
    let done = false;
    return {
      [Symbol.asyncIterator]() {
        iterator = (body as AsyncIterable<Chunk>)[Symbol.asyncIterator]();
        return {
          async next(): Promise<IteratorResult<Chunk>> {
            const step = await iterator!.next();
            if (step.done) { done = true; end(); } else tap.onChunk(step.value);
            return step;
          },
        };
      },
      close() { try { closeInner(body, iterator, done); } finally { end(); } },
    } as AsyncIterable<Chunk> & Closable;
  }
  // Not a body: let the gateway report it.
  end();
  return body;
}
