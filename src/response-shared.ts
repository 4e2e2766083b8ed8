// What response.ts and response-pump.ts share: the states and flags of a response, and
// the checks on chunks.

import type { Chunk } from './types.js';

export const enum State { Idle, Started, Committed, Done }
/** Bits of WsgiResponse.flags (one field instead of six: a smaller object per request). */
export const enum Flag {
  ITERATOR_DONE = 1,
  CLOSED = 2,
  ABORTED = 4,
  /** A first chunk is held while the next is pulled (see pumpSync). */
  PEEKING = 8,
  /** The app returned (or threw): until then there is no body to close. */
  APP_RETURNED = 16,
  /** fail() ran: the error was logged and the response ended. */
  FAILED = 32,
  /** Nothing more goes on the wire: the client left, or the response failed (perhaps
   * from outside, while a body step was pending). */
  STOPPED = ABORTED | FAILED,
}

/** UTF-8 length of a chunk. Short strings are counted here: cheaper than a call into C++. */
export function byteLength(chunk: Chunk): number {
  if (typeof chunk !== 'string') return chunk.length;
  const n = chunk.length;
  if (n > 64) return Buffer.byteLength(chunk);
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = chunk.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (chunk.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { bytes += 2; i++; }
    else bytes += 2;
  }
  return bytes;
}
export const isChunk = (c: unknown): c is Chunk => typeof c === 'string' || c instanceof Uint8Array;
export const isObject = (v: unknown): v is object => (typeof v === 'object' && v !== null) || typeof v === 'function';
