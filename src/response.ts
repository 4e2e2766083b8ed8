// The one state machine that owns start_response and drives a response
// (PEP 3333 "The start_response() Callable", "Buffering and Streaming",
// "Handling the Content-Length Header", "Error Handling").
//
//   Idle ──start_response──▶ Started ──first non-empty chunk / write()──▶ Committed ──▶ Done
//     (headers held, may be replaced with excInfo)      (headers on the wire)
//
// Engines only move bytes; every framing decision is made here, in commit().

import { Framing, type Exchange, type ResponseHead } from './engines/types.js';
import {
  InvalidBodyError, InvalidChunkError, NoStartResponseError, StartResponseTwiceError, WriteBeforeStartError,
} from './errors.js';
import { FileWrapper } from './file-wrapper.js';
import { checkHeaders, checkStatus, type CheckedHeaders } from './headers.js';
import type { BodyInput } from './input.js';
import { sendSimple } from './simple-response.js';
import type { App, Body, Chunk, Environ, ErrorStream, WriteCallable } from './types.js';

const enum State { Idle, Started, Committed, Done }
/** Bits of WsgiResponse.flags (one field instead of five: a smaller object per request). */
const enum Flag {
  ITERATOR_DONE = 1,
  CLOSED = 2,
  ABORTED = 4,
  /** A first chunk is held while the next is pulled (see pumpSync). */
  PEEKING = 8,
  /** The app returned (or threw): until then there is no body to close. */
  APP_RETURNED = 16,
}
const EMPTY_HEADERS: string[] = [];

/** What a response needs from its server. */
export interface ResponseContext {
  serverHeader: string;
  errors: ErrorStream;
  /** True while the server shuts down: responses then close their connection. */
  closing: boolean;
}

/** UTF-8 length of a chunk. Short strings are counted here: cheaper than a call into C++. */
function byteLength(chunk: Chunk): number {
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
const isChunk = (c: unknown): c is Chunk => typeof c === 'string' || c instanceof Uint8Array;

/** One response. It is also the ResponseHead the engine reads, so committing a
 * response allocates nothing more. */
export class WsgiResponse implements ResponseHead, CheckedHeaders {
  private state = State.Idle;
  // ResponseHead and CheckedHeaders fields, set by start_response and commit().
  status = '';
  headers: string[] = EMPTY_HEADERS;
  framing = Framing.Length;
  contentLength = -1;
  keepAlive = false;
  noBody = false;
  hasDate = false;
  ascii = true;
  appContentLength = -1;
  hasServer = false;
  /** Bytes still allowed under a Content-Length. */
  private remaining = 0;
  private body: unknown;
  private iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  private flags = 0;

  constructor(
    private readonly exchange: Exchange,
    private readonly ctx: ResponseContext,
    private readonly input: BodyInput,
    /** The request allows a persistent connection (RFC 9112 §9.3). */
    private readonly keepAliveWanted: boolean,
  ) {}

  get finished(): boolean {
    return this.state === State.Done;
  }

  /** The client went away: stop producing and release the body exactly once. */
  abort(): void {
    // start_response and write() keep working (as no-ops on the wire), so an app that
    // is still running does not fail because its client left.
    this.flags |= Flag.ABORTED;
    this.closeBody();
  }

  run(app: App, environ: Environ): void {
    let result: Body | Promise<Body>;
    try {
      result = app(environ, this.startResponse);
    } catch (error) {
      this.flags |= Flag.APP_RETURNED;
      this.fail(error);
      return;
    }
    if (result !== null && typeof (result as Promise<Body>).then === 'function') {
      (result as Promise<Body>).then((body) => this.consume(body), (error) => {
        this.flags |= Flag.APP_RETURNED;
        this.fail(error);
      });
    } else this.consume(result as Body);
  }

  // PEP 3333 "The start_response() Callable".
  readonly startResponse = (status: string, headers: [string, string][], excInfo?: unknown): WriteCallable => {
    if (excInfo !== undefined && excInfo !== null) {
      // "if exc_info is provided, and the HTTP headers have already been sent,
      // start_response must raise an error, and should re-raise using the exc_info".
      // A chunk held back for the one-chunk peek counts as sent: the app cannot tell.
      if (this.state >= State.Committed || (this.flags & Flag.PEEKING) !== 0) throw excInfo;
    } else if (this.state !== State.Idle) {
      throw new StartResponseTwiceError();
    }
    const statusAscii = checkStatus(status);
    checkHeaders(headers, this, this.ctx.serverHeader);
    this.ascii = this.ascii && statusAscii;
    this.status = status;
    this.state = State.Started;
    return this.write;
  };

  // PEP 3333 "The write() Callable": sends at once; headers go out first if needed.
  readonly write = (chunk: Chunk): void => {
    if (this.state === State.Idle) throw new WriteBeforeStartError();
    if (!isChunk(chunk)) throw new InvalidChunkError(chunk);
    if ((this.flags & Flag.ABORTED) !== 0) return;
    if (this.state === State.Done) throw new WriteBeforeStartError('write() called after the response ended');
    if (byteLength(chunk) === 0) return;
    if (this.state === State.Started) this.commit(-1);
    this.send(chunk);
  };

  private consume(body: Body): void {
    this.body = body;
    this.flags |= Flag.APP_RETURNED;
    if ((this.flags & Flag.ABORTED) !== 0) return this.closeBody();
    if (Array.isArray(body)) return this.sendArray(body);
    if (body instanceof FileWrapper) return this.sendFile(body);
    if (body === null || typeof body !== 'object') return this.fail(new InvalidBodyError(body));
    if (body instanceof Uint8Array) return this.fail(new InvalidBodyError('a bare Uint8Array (wrap it in an array)'));
    try {
      if (typeof (body as Iterable<Chunk>)[Symbol.iterator] === 'function') {
        this.iterator = (body as Iterable<Chunk>)[Symbol.iterator]();
        return this.pumpSync();
      }
      if (typeof (body as AsyncIterable<Chunk>)[Symbol.asyncIterator] === 'function') {
        this.iterator = (body as AsyncIterable<Chunk>)[Symbol.asyncIterator]();
        return this.pumpAsync();
      }
    } catch (error) {
      return this.fail(error);
    }
    this.fail(new InvalidBodyError(body));
  }

  /** Fast path: every chunk is known, so the length is too (no chunked encoding). */
  private sendArray(chunks: unknown[]): void {
    let total = 0;
    let last = -1;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i];
      if (!isChunk(c)) return this.fail(new InvalidChunkError(c));
      if (c.length > 0) { total += byteLength(c); last = i; }
    }
    if (this.state === State.Idle) return this.fail(new NoStartResponseError());
    if (this.state === State.Started && this.appContentLength < 0) {
      // The computed length matches the bytes exactly: no per-chunk accounting.
      this.commit(total);
      this.state = State.Done;
      this.remaining = 0;
      if (this.noBody) this.exchange.end();
      else {
        for (let i = 0; i < last; i++) if ((chunks[i] as Chunk).length > 0) this.exchange.write(chunks[i] as Chunk);
        this.exchange.end(last === -1 ? undefined : (chunks[last] as Chunk));
      }
      return this.closeBody();
    }
    if (this.state === State.Started) this.commit(total);
    for (let i = 0; i < last; i++) {
      const c = chunks[i] as Chunk;
      if (c.length > 0) this.send(c);
    }
    this.complete(last === -1 ? undefined : (chunks[last] as Chunk));
  }

  private sendFile(file: FileWrapper): void {
    if (this.state === State.Idle) return this.fail(new NoStartResponseError());
    const sendFile = this.exchange.sendFile;
    if (this.state === State.Committed || !sendFile || this.appContentLength >= 0) {
      // No zero-copy path: stream its blocks like any async body, sized when we can.
      if (this.state === State.Started) this.commit(file.length);
      if (this.noBody || file.length === 0) return this.complete(undefined);
      this.iterator = file[Symbol.asyncIterator]();
      return this.pumpAsync();
    }
    this.commit(file.length);
    if (this.noBody || file.length === 0) return this.complete(undefined);
    this.remaining = 0;
    sendFile.call(this.exchange, file.fd, file.offset, file.length, (error) => {
      if ((this.flags & Flag.ABORTED) !== 0) return;
      if (error) return this.fail(error);
      this.state = State.Done;
      this.exchange.end();
      this.closeBody();
    });
  }

  private pumpSync(): void {
    const it = this.iterator as Iterator<unknown>;
    for (;;) {
      if ((this.flags & Flag.ABORTED) !== 0) return;
      let step: IteratorResult<unknown>;
      try {
        step = it.next();
      } catch (error) {
        this.flags |= Flag.ITERATOR_DONE;
        return this.fail(error);
      }
      if (step.done) {
        this.flags |= Flag.ITERATOR_DONE;
        return this.complete(undefined);
      }
      const chunk = step.value;
      if (!isChunk(chunk)) return this.fail(new InvalidChunkError(chunk));
      if (byteLength(chunk) === 0) continue;
      if (this.state !== State.Committed) {
        if (this.state === State.Idle) return this.fail(new NoStartResponseError());
        // Peek once: a body of one chunk gets a Content-Length instead of chunked.
        let next: IteratorResult<unknown>;
        this.flags |= Flag.PEEKING;
        try {
          next = it.next();
        } catch (error) {
          this.flags |= Flag.ITERATOR_DONE;
          this.flags &= ~Flag.PEEKING;
          // The held chunk counts as sent: send it, then the error closes the connection.
          this.commit(-1);
          this.send(chunk);
          return this.fail(error);
        } finally {
          this.flags &= ~Flag.PEEKING;
        }
        if (next.done) {
          this.flags |= Flag.ITERATOR_DONE;
          this.commit(byteLength(chunk));
          return this.complete(chunk);
        }
        this.commit(-1);
        this.send(chunk);
        const second = next.value;
        if (!isChunk(second)) return this.fail(new InvalidChunkError(second));
        if (byteLength(second) === 0) continue;
        if (!this.send(second)) return this.exchange.onWritable(() => this.pumpSync());
        continue;
      }
      // Buffering and Streaming: never pull more than the socket takes.
      if (!this.send(chunk)) return this.exchange.onWritable(() => this.pumpSync());
    }
  }

  private pumpAsync(): void {
    const it = this.iterator as AsyncIterator<unknown>;
    let pending: Promise<IteratorResult<unknown>>;
    try {
      pending = it.next();
    } catch (error) {
      this.flags |= Flag.ITERATOR_DONE;
      return this.fail(error);
    }
    pending.then((step) => {
      if ((this.flags & Flag.ABORTED) !== 0) return;
      if (step.done) {
        this.flags |= Flag.ITERATOR_DONE;
        return this.complete(undefined);
      }
      const chunk = step.value;
      if (!isChunk(chunk)) return this.fail(new InvalidChunkError(chunk));
      if (byteLength(chunk) === 0) return this.pumpAsync();
      if (this.state === State.Idle) return this.fail(new NoStartResponseError());
      if (this.state === State.Started) this.commit(-1);
      if (this.send(chunk)) this.pumpAsync();
      else this.exchange.onWritable(() => this.pumpAsync());
    }, (error) => {
      this.flags |= Flag.ITERATOR_DONE;
      this.fail(error);
    });
  }

  /** Put the head on the wire. `knownLength` is the whole body's size when the server
   * knows it (array body, single chunk), else -1. */
  private commit(knownLength: number): void {
    const status = this.status;
    const code = (status.charCodeAt(0) - 48) * 100 + (status.charCodeAt(1) - 48) * 10 + (status.charCodeAt(2) - 48);
    // RFC 9110 §15.3.5, §15.4.5: 204 and 304 have no content; 204 has no Content-Length.
    this.noBody = code === 204 || code === 304 || this.exchange.head.isHead;
    let length = this.appContentLength >= 0 ? this.appContentLength : knownLength;
    // 204 has no Content-Length; a HEAD answer with no body bytes does not know the
    // length of the GET body (the app may skip producing it), so it states none.
    if (code === 204 || (this.noBody && length === 0 && this.appContentLength < 0)) length = -1;
    if (length >= 0) this.framing = Framing.Length;
    else if (this.noBody) this.framing = Framing.None;
    else this.framing = this.exchange.head.versionMinor >= 1 ? Framing.Chunked : Framing.Close;
    this.contentLength = length;
    this.remaining = this.noBody ? 0 : length;
    this.keepAlive = this.keepAliveWanted && this.framing !== Framing.Close && !this.ctx.closing;
    this.state = State.Committed;
    this.exchange.writeHead(this);
  }

  /** Write one non-empty chunk; false when the socket is full. */
  private send(chunk: Chunk): boolean {
    if (this.noBody) return true;
    const part = this.fit(chunk);
    return part === undefined ? true : this.exchange.write(part);
  }

  /** Handling the Content-Length Header: never send more than declared; the excess is
   * cut and logged. Returns what may be sent, or undefined for nothing. */
  private fit(chunk: Chunk): Chunk | undefined {
    if (this.framing !== Framing.Length) return chunk;
    const n = byteLength(chunk);
    if (n <= this.remaining) {
      this.remaining -= n;
      return chunk;
    }
    this.ctx.errors.write(`tsgi: the application sent more than its Content-Length; ${n - this.remaining} bytes cut\n`);
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const part = bytes.subarray(0, this.remaining);
    this.remaining = 0;
    return part.length > 0 ? part : undefined;
  }

  /** The body is exhausted; `last` is a final chunk still to send. */
  private complete(last: Chunk | undefined): void {
    if ((this.flags & Flag.ABORTED) !== 0) return;
    if (this.state === State.Idle) return this.fail(new NoStartResponseError());
    if (this.state === State.Started) this.commit(0);
    this.state = State.Done;
    if (this.noBody) last = undefined;
    else if (last !== undefined) last = this.fit(last);
    if (this.framing === Framing.Length && this.remaining > 0) {
      // Handling the Content-Length Header: fewer bytes than declared. The client can
      // only detect that if the connection closes.
      this.ctx.errors.write(`tsgi: the application sent ${this.remaining} bytes less than its Content-Length; closing the connection\n`);
      if (last !== undefined) this.exchange.write(last);
      this.exchange.abort();
    } else this.exchange.end(last);
    this.closeBody();
  }

  /** PEP 3333 "Error Handling": before the head is sent, a 500; after, the connection
   * is closed (the client must not take a truncated body as complete). */
  private fail(error: unknown): void {
    if ((this.flags & Flag.ABORTED) !== 0) return this.closeBody();
    const stack = error instanceof Error ? (error.stack ?? String(error)) : String(error);
    this.ctx.errors.write(`tsgi: error in application: ${stack}\n`);
    const committed = this.state === State.Committed;
    const done = this.state === State.Done;
    this.state = State.Done;
    if (committed) this.exchange.abort();
    else if (!done) sendSimple(this.exchange, '500 Internal Server Error', 'Internal Server Error', this.keepAliveWanted && !this.ctx.closing, this.ctx.serverHeader);
    this.closeBody();
  }

  /** PEP 3333: the iterable's close() is called exactly once, whatever happened; for a
   * JS iterator that did not finish, its return(). */
  private closeBody(): void {
    if ((this.flags & Flag.CLOSED) !== 0 || (this.flags & Flag.APP_RETURNED) === 0) return;
    const body = this.body as { close?: unknown } | undefined;
    this.flags |= Flag.CLOSED;
    this.input.close();
    try {
      if (body !== null && typeof body === 'object' && typeof body.close === 'function') {
        (body.close as () => void)();
      } else if (this.iterator && (this.flags & Flag.ITERATOR_DONE) === 0 && typeof this.iterator.return === 'function') {
        const r = this.iterator.return() as unknown;
        if (r !== null && typeof r === 'object' && typeof (r as Promise<unknown>).then === 'function') {
          (r as Promise<unknown>).then(undefined, (e: unknown) => this.logCloseError(e));
        }
      }
    } catch (error) {
      this.logCloseError(error);
    }
  }

  private logCloseError(error: unknown): void {
    const stack = error instanceof Error ? (error.stack ?? String(error)) : String(error);
    this.ctx.errors.write(`tsgi: error in the body's close(): ${stack}\n`);
  }
}
