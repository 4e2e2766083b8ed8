// requestTimeout(app, { seconds }): a per-request deadline that never kills the process
// (the CLI's --request-timeout). Only the asynchronous parts of a request can overrun it
// (a synchronous app blocks the event loop, which is the CLI's --timeout's business):
// the app's promise and an async body.
//
// - Before the first non-empty chunk: start_response('503 Service Unavailable', …,
//   excInfo) replaces whatever headers the app set (PEP 3333 "The start_response()
//   Callable": exc_info allows it until the headers are sent) and a short body follows.
// - After: the body iterator throws, so the gateway closes the connection (PEP 3333
//   "Error Handling": the client must not take a truncated body as complete).
// In both cases the app's body is closed (its close() or iterator return()), and one
// line goes to wsgi.errors.

import { InvalidOptionError, RequestTimeoutError } from '../errors.js';
import type { App, Body, Chunk, Environ, StartResponse } from '../types.js';
import { chunkLength } from './body-tap.js';

export interface RequestTimeoutOptions {
  /** Seconds from the app call to the end of the body. */
  seconds: number;
}

/** RequestTimeoutError (TSGI_ERR_REQUEST_TIMEOUT) names the request that overran. */
export { RequestTimeoutError };

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

/** Which request overran, read when it did (never on the fast path). SCRIPT_NAME and
 * PATH_INFO together: an inner mount() moves the prefix from one to the other. */
function describe(environ: Environ, seconds: number): string {
  try {
    return `request exceeded the request timeout (${seconds} s): ${environ.REQUEST_METHOD} ${environ.SCRIPT_NAME}${environ.PATH_INFO}`;
  } catch {
    return `request exceeded the request timeout (${seconds} s)`;
  }
}

export function requestTimeout(app: App, options: RequestTimeoutOptions): App {
  const seconds = options?.seconds;
  for (const key of Object.keys(options ?? {})) {
    if (key !== 'seconds') throw new InvalidOptionError(`requestTimeout: unknown option ${JSON.stringify(key)}`);
  }
  if (typeof seconds !== 'number' || !(seconds > 0) || !Number.isFinite(seconds)) {
    throw new InvalidOptionError(`requestTimeout: seconds must be a positive number, got ${String(seconds)}`);
  }
  return withDeadline(app, seconds);
}

/** One request's deadline. The timer starts only once the request turns asynchronous (a
 * promise or an async body), so a synchronous answer costs one clock read. */
class Deadline {
  /** A non-empty chunk went out: too late for a 503. */
  committed = false;
  expired = false;
  private timer: NodeJS.Timeout | undefined;
  private reachedAt: Promise<typeof TIMED_OUT> | undefined;
  private error: RequestTimeoutError | undefined;
  private readonly startedAt = performance.now();
  constructor(private readonly seconds: number, private readonly environ: Environ, private readonly startResponse: StartResponse) {}

  /** Resolves with TIMED_OUT when the time is up. */
  reached(): Promise<typeof TIMED_OUT> {
    return (this.reachedAt ??= new Promise((resolve) => {
      const left = this.seconds * 1000 - (performance.now() - this.startedAt);
      this.timer = setTimeout(() => { this.expired = true; resolve(TIMED_OUT); }, Math.max(1, left));
    }));
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  timeoutError(): RequestTimeoutError {
    return (this.error ??= new RequestTimeoutError(describe(this.environ, this.seconds)));
  }

  /** Timed out while the app still computes: answer 503, or give up the connection. */
  onExpired(): Body {
    if (!this.committed) {
      try {
        this.startResponse('503 Service Unavailable', [['Content-Type', 'text/plain; charset=utf-8'], ['Retry-After', '1']], this.timeoutError());
        this.environ['wsgi.errors'].write(`tsgi: ${this.timeoutError().message}\n`);
        return [BODY_503];
      } catch { /* headers already sent */ }
    }
    throw this.timeoutError();
  }
}

function withDeadline(app: App, seconds: number): App {
  return function timed(environ: Environ, startResponse: StartResponse) {
    const deadline = new Deadline(seconds, environ, startResponse);
    const guardedStart: StartResponse = (status, headers, excInfo) => {
      if (deadline.expired) throw deadline.timeoutError(); // the 503 is already chosen; the app is late
      const write = startResponse(status, headers, excInfo);
      return (chunk: Chunk) => {
        if (chunkLength(chunk) > 0) deadline.committed = true;
        write(chunk);
      };
    };
    const result = app(environ, guardedStart);
    if (result !== null && typeof (result as Promise<Body>).then === 'function') {
      const promise = result as Promise<Body>;
      return Promise.race([promise, deadline.reached()]).then((outcome) => {
        if (outcome === TIMED_OUT) {
          promise.then(closeLater, () => {});
          return deadline.onExpired();
        }
        return guardBody(outcome, deadline);
      }, (e: unknown) => { deadline.stop(); throw e; });
    }
    return guardBody(result as Body, deadline);
  };
}

/** Race each step of an async body against the deadline; other bodies are left as they are. */
function guardBody(body: Body, deadline: Deadline): Body {
  if (body === null || typeof body !== 'object' || typeof (body as AsyncIterable<Chunk>)[Symbol.asyncIterator] !== 'function'
    || typeof (body as Iterable<Chunk>)[Symbol.iterator] === 'function') {
    deadline.stop();
    return body;
  }
  let iterator: AsyncIterator<Chunk> | undefined;
  let done = false;
  let replacement: Iterator<Chunk> | undefined;
  const reached = deadline.reached();
  const close = (): void => {
    deadline.stop();
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
          const step = await Promise.race([iterator!.next(), reached]);
          if (step === TIMED_OUT) {
            // Throws once the head is out; else the 503 body replaces the app's.
            replacement = (deadline.onExpired() as Chunk[])[Symbol.iterator]();
            return replacement.next();
          }
          if (step.done) { done = true; deadline.stop(); } else if (!deadline.committed && chunkLength(step.value) > 0) deadline.committed = true;
          return step;
        },
      };
    },
    close,
  } as AsyncIterable<Chunk> & Closable;
}
