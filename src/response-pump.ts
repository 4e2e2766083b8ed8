// Pulling an iterable body into a response (PEP 3333 "Buffering and Streaming": never
// pull more than the socket takes; headers are final at the first non-empty chunk).
// Sync bodies are pulled in a loop until the socket is full, async bodies one next()
// at a time. Every function here is an entry point from the engine (onWritable, promise
// callbacks) and never throws: what the body's iterator does wrong ends in r.fail().

import { badIteratorResult } from './error-text.js';
import { InvalidChunkError, NoStartResponseError } from './errors.js';
import { byteLength, Flag, isChunk, isObject, State } from './response-shared.js';
import type { Pumped } from './response.js';

/** A synchronous body: pulls chunks while the socket takes them. Never throws. */
export function pumpSync(r: Pumped): void {
  try {
    pullSync(r, r.iterator as Iterator<unknown>);
  } catch (error) {
    r.fail(error);
  }
}

/** it.next(), checked. A next() that throws finished the iterator (no return() then, as
 * for-of does). */
function nextSync(r: Pumped, it: Iterator<unknown>): IteratorResult<unknown> {
  let step: unknown;
  try {
    step = it.next();
  } catch (error) {
    r.flags |= Flag.ITERATOR_DONE;
    throw error;
  }
  if (!isObject(step)) throw badIteratorResult(step);
  return step as IteratorResult<unknown>;
}

function pullSync(r: Pumped, it: Iterator<unknown>): void {
  for (;;) {
    if ((r.flags & Flag.STOPPED) !== 0) return;
    // RFC 9110 §9.3.2, §15.3.5, §15.4.5: once a HEAD/204/304 head is out, no body byte
    // follows: stop pulling (an endless body would never end); closeBody() then calls
    // close() or the iterator's return() (PEP 3333).
    if (r.state === State.Committed && r.noBody) return r.complete(undefined);
    const step = nextSync(r, it);
    if (step.done) {
      r.flags |= Flag.ITERATOR_DONE;
      return r.complete(undefined);
    }
    const chunk = step.value;
    if (!isChunk(chunk)) return r.fail(new InvalidChunkError(chunk));
    if (byteLength(chunk) === 0) continue;
    if (r.state !== State.Committed) {
      if (r.state === State.Idle) return r.fail(new NoStartResponseError());
      // Peek once: a body of one chunk gets a Content-Length instead of chunked (on HEAD
      // too: RFC 9110 §9.3.2, the same fields as GET; an endless body is then stopped at
      // the top of the loop, one chunk later).
      // A write() while the chunk is held sends it first (see WsgiResponse.write), which
      // commits the head; `held` is then undefined.
      let next: IteratorResult<unknown>;
      r.held = chunk;
      r.flags |= Flag.PEEKING;
      try {
        next = nextSync(r, it);
      } catch (error) {
        r.flags &= ~Flag.PEEKING;
        // The held chunk counts as sent: send it, then the error closes the connection.
        if (r.held !== undefined) {
          r.held = undefined;
          r.commit(-1);
          r.send(chunk);
        }
        return r.fail(error);
      } finally {
        r.flags &= ~Flag.PEEKING;
      }
      const stillHeld = r.held !== undefined;
      r.held = undefined;
      if (next.done) {
        r.flags |= Flag.ITERATOR_DONE;
        if (!stillHeld) return r.complete(undefined);
        r.commit(byteLength(chunk));
        return r.complete(chunk);
      }
      if (stillHeld) {
        r.commit(-1);
        r.send(chunk);
      }
      const second = next.value;
      if (!isChunk(second)) return r.fail(new InvalidChunkError(second));
      if (byteLength(second) === 0) continue;
      if (!r.send(second)) return r.exchange.onWritable(() => pumpSync(r));
      continue;
    }
    // Buffering and Streaming: never pull more than the socket takes.
    if (!r.send(chunk)) return r.exchange.onWritable(() => pumpSync(r));
  }
}

/** An async body: one next() at a time. Never throws, and its promise callbacks never
 * reject (an unhandled rejection would reach the process). */
export function pumpAsync(r: Pumped): void {
  try {
    if ((r.flags & Flag.STOPPED) !== 0) return;
    // As in pullSync: a HEAD/204/304 head is out, so stop pulling.
    if (r.state === State.Committed && r.noBody) return r.complete(undefined);
    let pending: unknown;
    try {
      pending = (r.iterator as AsyncIterator<unknown>).next();
    } catch (error) {
      r.flags |= Flag.ITERATOR_DONE;
      throw error;
    }
    // Promise.resolve, as for-await does: a plain {done, value} is accepted, and a
    // thenable whose `then` throws becomes a rejection.
    Promise.resolve(pending).then((step) => onAsyncStep(r, step), (error) => {
      r.flags |= Flag.ITERATOR_DONE;
      r.fail(error);
    });
  } catch (error) {
    r.fail(error);
  }
}

function onAsyncStep(r: Pumped, step: unknown): void {
  try {
    if ((r.flags & Flag.STOPPED) !== 0) return;
    if (!isObject(step)) return r.fail(badIteratorResult(step));
    if ((step as IteratorResult<unknown>).done) {
      r.flags |= Flag.ITERATOR_DONE;
      return r.complete(undefined);
    }
    const chunk = (step as IteratorResult<unknown>).value;
    if (!isChunk(chunk)) return r.fail(new InvalidChunkError(chunk));
    if (byteLength(chunk) === 0) return pumpAsync(r);
    if (r.state === State.Idle) return r.fail(new NoStartResponseError());
    if (r.state === State.Started) r.commit(-1);
    if (r.send(chunk)) pumpAsync(r);
    else r.exchange.onWritable(() => pumpAsync(r));
  } catch (error) {
    r.fail(error);
  }
}
