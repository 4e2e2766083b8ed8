// --request-timeout: a per-request deadline that never kills the worker. Only the
// asynchronous parts of a request can overrun it (a synchronous app blocks the event
// loop, which is --timeout's business): the app's promise and an async body.
//
// - Before the first non-empty chunk: start_response('503 Service Unavailable', …,
//   excInfo) replaces whatever headers the app set (PEP 3333 "The start_response()
//   Callable": exc_info allows it until the headers are sent) and a short body follows.
// - After: the body iterator throws, so the gateway closes the connection (PEP 3333
//   "Error Handling": the client must not take a truncated body as complete).
// In both cases the app's body is closed (its close() or iterator return()).

import type { App, Body, Chunk, StartResponse } from '../types.js';
import { chunkLength } from './body-tap.js';

export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
}

const TIMED_OUT = Symbol('timed out');
const BODY_503 = 'Service Unavailable: the request took too long\n';

type Closable = { close?: () => unknown };

function closeLater(body: unknown): void {
  const closable = body as Closable;
  if (closable === null || typeof closable !== 'object') return;
  try {
    if (typeof closable.close === 'function') closable.close();
    // An async generator returned as the body: finish it so its finally blocks run.
    else if (typeof (closable as AsyncGenerator).return === 'function') (closable as AsyncGenerator).return(undefined).catch(() => {});
  } catch { /* the app already overran; nothing more to tell it */ }
}

export function withRequestTimeout(app: App, seconds: number): App {
  const ms = Math.max(1, Math.round(seconds * 1000));
  return (environ, startResponse) => {
    let committed = false;
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => { expired = true; resolve(TIMED_OUT); }, ms);
    });
    const stop = (): void => clearTimeout(timer);
    const error = new RequestTimeoutError(`request exceeded --request-timeout (${seconds} s): ${environ.REQUEST_METHOD} ${environ.PATH_INFO}`);

    const guardedStart: StartResponse = (status, headers, excInfo) => {
      if (expired) throw error; // the 503 is already chosen; the app is late
      const write = startResponse(status, headers, excInfo);
      return (chunk: Chunk) => {
        if (chunkLength(chunk) > 0) committed = true;
        write(chunk);
      };
    };
    const answer503 = (): Chunk[] => {
      startResponse('503 Service Unavailable', [['Content-Type', 'text/plain; charset=utf-8'], ['Retry-After', '1']], error);
      environ['wsgi.errors'].write(`tsgi: ${error.message}\n`);
      return [BODY_503];
    };
    /** Timed out while the app still computes: answer 503, or give up the connection. */
    const onExpired = (): Body => {
      if (!committed) {
        try { return answer503(); } catch { /* headers already sent */ }
      }
      throw error;
    };

    let result: Body | Promise<Body>;
    try {
      result = app(environ, guardedStart);
    } catch (e) {
      stop();
      throw e;
    }
    if (result !== null && typeof (result as Promise<Body>).then === 'function') {
      const promise = result as Promise<Body>;
      return Promise.race([promise, deadline]).then((outcome) => {
        if (outcome === TIMED_OUT) {
          promise.then(closeLater, () => {});
          return onExpired();
        }
        return guardBody(outcome, deadline, stop, () => committed, (v) => { committed = v; }, onExpired);
      }, (e: unknown) => { stop(); throw e; });
    }
    return guardBody(result as Body, deadline, stop, () => committed, (v) => { committed = v; }, onExpired);
  };
}

/** Race each step of an async body against the deadline; other bodies are left as they are. */
function guardBody(
  body: Body,
  deadline: Promise<typeof TIMED_OUT>,
  stop: () => void,
  isCommitted: () => boolean,
  setCommitted: (v: boolean) => void,
  onExpired: () => Body,
): Body {
  if (body === null || typeof body !== 'object' || typeof (body as AsyncIterable<Chunk>)[Symbol.asyncIterator] !== 'function'
    || typeof (body as Iterable<Chunk>)[Symbol.iterator] === 'function') {
    stop();
    return body;
  }
  let iterator: AsyncIterator<Chunk> | undefined;
  let done = false;
  let replacement: Iterator<Chunk> | undefined;
  const close = (): void => {
    stop();
    const closable = body as Closable;
    if (typeof closable.close === 'function') closable.close();
    else if (iterator && !done && typeof iterator.return === 'function') iterator.return().catch(() => {});
  };
  return {
    [Symbol.asyncIterator]() {
      iterator = (body as AsyncIterable<Chunk>)[Symbol.asyncIterator]();
      return {
        async next(): Promise<IteratorResult<Chunk>> {
          if (replacement) return replacement.next();
          const step = await Promise.race([iterator!.next(), deadline]);
          if (step === TIMED_OUT) {
            // Throws once the head is out; else the 503 body replaces the app's.
            replacement = (onExpired() as Chunk[])[Symbol.iterator]();
            return replacement.next();
          }
          if (step.done) { done = true; stop(); } else if (!isCommitted() && chunkLength(step.value) > 0) setCommitted(true);
          return step;
        },
      };
    },
    close,
  } as AsyncIterable<Chunk> & Closable;
}
