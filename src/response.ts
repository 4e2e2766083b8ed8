// The one state machine that owns start_response and drives a response
// (PEP 3333 "The start_response() Callable", "Buffering and Streaming",
// "Handling the Content-Length Header", "Error Handling").
//
//   Idle ──start_response──▶ Started ──first non-empty chunk / write()──▶ Committed ──▶ Done
//     (headers held, may be replaced with excInfo)      (headers on the wire)
//
// Engines only move bytes; every framing decision is made here, in commit().
//
// No exception escapes to the engine (PEP 3333 "Error Handling"): each entry point an
// engine calls — run(), the onWritable pumps, promise callbacks, the sendFile callback,
// abort() — catches whatever the app's objects throw (getters, iterators, thenables,
// close()) and whatever an engine call throws, and ends in fail(): logged once, a 500 if
// nothing was sent, else the connection closes; the body's close() runs exactly once.

import { badIterator, badIteratorResult, describeThrown } from './error-text.js';
import { ConnectionToken, Framing, type Exchange, type ResponseHead } from './contract.js';
import {
  InvalidBodyError, InvalidChunkError, isTsgiError, NoStartResponseError, StartResponseTwiceError,
  WriteBeforeStartError,
} from './errors.js';
import { FileWrapper } from './file-wrapper.js';
import { checkHeaders, checkStatus, type CheckedHeaders } from './headers.js';
import { responseConnection } from './keep-alive.js';
import type { BodyInput } from './input.js';
import { pumpAsync, pumpSync } from './response-pump.js';
import { byteLength, Flag, isChunk, isObject, State } from './response-shared.js';
import { sendSimple } from './simple-response.js';
import type { App, Body, Chunk, Environ, ErrorStream, ResponseHeaders, WriteCallable } from './types.js';

const EMPTY_HEADERS: string[] = [];

/** What a response needs from its server. */
export interface ResponseContext {
  /** Value of the Server header; undefined adds none (an app run inside another server's
   * response, as compress does). */
  serverHeader: string | undefined;
  errors: ErrorStream;
  /** True while the server shuts down: responses then close their connection. */
  closing: boolean;
  /** When set, a failed response hands its error here instead of logging it (the test
   * client rejects with it; compress passes it to the server outside). Must not throw. */
  onFailure?: ((error: unknown) => void) | undefined;
}

/** What response-pump.ts drives: the members of WsgiResponse that are public for it
 * alone (nothing outside the gateway sees a WsgiResponse). */
export interface Pumped {
  flags: number;
  readonly state: State;
  readonly noBody: boolean;
  readonly iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  readonly exchange: Exchange;
  /** The first chunk of a synchronous body, held while the next is pulled (the one-chunk
   * peek, PEEKING); undefined otherwise. */
  held: Chunk | undefined;
  commit(knownLength: number): void;
  send(chunk: Chunk): boolean;
  complete(last: Chunk | undefined): void;
  fail(error: unknown): void;
}

/** The engine reports the end of an exchange the client left (ExchangeAbortedError). */
const isAbortError = (error: Error): boolean => isTsgiError(error) && error.code === 'TSGI_ERR_ABORTED';

/** One response. It is also the ResponseHead the engine reads, so committing a
 * response allocates nothing more. */
export class WsgiResponse implements ResponseHead, CheckedHeaders, Pumped {
  state = State.Idle;
  // ResponseHead and CheckedHeaders fields, set by start_response and commit().
  status = '';
  headers: string[] = EMPTY_HEADERS;
  framing = Framing.Length;
  contentLength = -1;
  connection = ConnectionToken.Close;
  noBody = false;
  hasDate = false;
  ascii = true;
  appContentLength = -1;
  hasServer = false;
  /** Bytes still allowed under a Content-Length. */
  private remaining = 0;
  private body: unknown;
  iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  held: Chunk | undefined = undefined;
  flags = 0;

  constructor(
    readonly exchange: Exchange,
    private readonly ctx: ResponseContext,
    private readonly input: BodyInput,
    /** The request allows a persistent connection (RFC 9112 §9.3). */
    private readonly keepAliveWanted: boolean,
  ) {}

  get finished(): boolean {
    return this.state === State.Done;
  }

  /** The client went away: stop producing and release the body exactly once. Called by
   * the engine's onAborted; never throws (closeBody() catches). */
  abort(): void {
    // start_response and write() keep working (as no-ops on the wire), so an app that
    // is still running does not fail because its client left.
    this.flags |= Flag.ABORTED;
    this.closeBody();
  }

  /** Call the app and send what it returns. Never throws. */
  run(app: App, environ: Environ): void {
    try {
      const result: unknown = app(environ, this.startResponse);
      if (typeof result === 'object' && result !== null && typeof (result as Promise<Body>).then === 'function') {
        // Promise.resolve adopts any thenable: a `then` that throws, or calls back twice or
        // both ways, settles this once; the callbacks never throw (consume and fail catch).
        Promise.resolve(result as Promise<Body>).then((body) => this.consume(body), (error) => this.appFailed(error));
      } else this.consume(result as Body);
    } catch (error) {
      this.appFailed(error);
    }
  }

  /** The app threw, or its promise rejected (with anything, Error or not). */
  private appFailed(error: unknown): void {
    this.flags |= Flag.APP_RETURNED;
    this.fail(error);
  }

  // PEP 3333 "The start_response() Callable".
  readonly startResponse = (status: string, headers: ResponseHeaders, excInfo?: unknown): WriteCallable => {
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
    if (this.state === State.Started) {
      this.commit(-1);
      // "Buffering and Streaming": a chunk the body yielded before this write(), held for
      // the one-chunk peek, goes on the wire first.
      const held = this.held;
      if (held !== undefined) {
        this.held = undefined;
        this.send(held);
      }
    }
    this.send(chunk);
  };

  private consume(body: Body): void {
    this.body = body;
    this.flags |= Flag.APP_RETURNED;
    if ((this.flags & Flag.STOPPED) !== 0) return this.closeBody();
    try {
      if (Array.isArray(body)) return this.sendArray(body);
      if (body instanceof FileWrapper) return this.sendFile(body);
      // A string is iterable, but PEP 3333 wants an iterable *of* chunks: refused.
      if (body === null || typeof body !== 'object' || body instanceof Uint8Array) return this.fail(new InvalidBodyError(body));
      if (typeof (body as Iterable<Chunk>)[Symbol.iterator] === 'function') {
        this.iterator = (body as Iterable<Chunk>)[Symbol.iterator]();
        if (!isObject(this.iterator)) return this.fail(badIterator(this.iterator));
        return pumpSync(this);
      }
      if (typeof (body as AsyncIterable<Chunk>)[Symbol.asyncIterator] === 'function') {
        this.iterator = (body as AsyncIterable<Chunk>)[Symbol.asyncIterator]();
        if (!isObject(this.iterator)) return this.fail(badIterator(this.iterator));
        return pumpAsync(this);
      }
      this.fail(new InvalidBodyError(body));
    } catch (error) {
      this.fail(error);
    }
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
      return pumpAsync(this);
    }
    this.commit(file.length);
    if (this.noBody || file.length === 0) return this.complete(undefined);
    this.remaining = 0;
    sendFile.call(this.exchange, file.fd, file.offset, file.length, (error) => {
      try {
        // The client left (abort() ran, or the engine says so): not an application error.
        if ((this.flags & Flag.ABORTED) !== 0 || (error && isAbortError(error))) return this.abort();
        if ((this.flags & Flag.FAILED) !== 0) return this.closeBody();
        if (error) return this.fail(error);
        this.state = State.Done;
        this.exchange.end();
        this.closeBody();
      } catch (thrown) {
        this.fail(thrown);
      }
    });
  }

  /** Put the head on the wire. `knownLength` is the whole body's size when the server
   * knows it (array body, single chunk), else -1. */
  commit(knownLength: number): void {
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
    this.connection = responseConnection(this.keepAliveWanted, this.exchange.head.versionMinor, this.framing, this.ctx.closing);
    this.state = State.Committed;
    this.exchange.writeHead(this);
  }

  /** Write one non-empty chunk; false when the socket is full. */
  send(chunk: Chunk): boolean {
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
    this.note(`tsgi: the application sent more than its Content-Length; ${n - this.remaining} bytes cut\n`);
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const part = bytes.subarray(0, this.remaining);
    this.remaining = 0;
    return part.length > 0 ? part : undefined;
  }

  /** The body is exhausted; `last` is a final chunk still to send. */
  complete(last: Chunk | undefined): void {
    if ((this.flags & Flag.STOPPED) !== 0) return this.closeBody();
    if (this.state === State.Idle) return this.fail(new NoStartResponseError());
    if (this.state === State.Started) this.commit(0);
    this.state = State.Done;
    if (this.noBody) last = undefined;
    else if (last !== undefined) last = this.fit(last);
    if (this.framing === Framing.Length && this.remaining > 0) {
      // Handling the Content-Length Header: fewer bytes than declared. The client can
      // only detect that if the connection closes.
      this.note(`tsgi: the application sent ${this.remaining} bytes less than its Content-Length; closing the connection\n`);
      if (last !== undefined) this.exchange.write(last);
      this.exchange.abort();
    } else this.exchange.end(last);
    this.closeBody();
  }

  /** PEP 3333 "Error Handling": before the head is sent, a 500; after, the connection
   * is closed (the client must not take a truncated body as complete). Logged once per
   * response; never throws. `prefix` names the culprit in the log. */
  fail(error: unknown, prefix = 'tsgi: error in application: '): void {
    if ((this.flags & (Flag.ABORTED | Flag.FAILED)) !== 0) return this.closeBody();
    this.flags |= Flag.FAILED;
    if (this.ctx.onFailure) this.ctx.onFailure(error);
    else this.log(prefix, error);
    const state = this.state;
    this.state = State.Done;
    try {
      // Done: an engine call threw while the response was ending; what went out is unknown.
      if (state >= State.Committed) this.exchange.abort();
      else sendSimple(this.exchange, '500 Internal Server Error', 'Internal Server Error', this.keepAliveWanted && !this.ctx.closing, this.ctx.serverHeader);
    } catch (wireError) {
      this.log('tsgi: error while ending a failed response: ', wireError);
      try { this.exchange.abort(); } catch { /* the engine has no connection left to close */ }
    }
    this.closeBody();
  }

  /** PEP 3333: the iterable's close() is called exactly once, whatever happened; for a
   * JS iterator that did not finish, its return(). Never throws. */
  private closeBody(): void {
    if ((this.flags & Flag.CLOSED) !== 0 || (this.flags & Flag.APP_RETURNED) === 0) return;
    this.flags |= Flag.CLOSED;
    try {
      this.input.close();
    } catch (error) {
      this.log('tsgi: error releasing wsgi.input: ', error);
    }
    try {
      // Inside the try: `close` may be a getter that throws, `body` a Proxy.
      const body = this.body as { close?: unknown } | undefined;
      let r: unknown;
      if (body !== null && typeof body === 'object' && typeof body.close === 'function') {
        r = (body.close as () => unknown)();
      } else if (this.iterator && (this.flags & Flag.ITERATOR_DONE) === 0 && typeof this.iterator.return === 'function') {
        r = this.iterator.return();
      }
      // An async close() or an async generator's return(): its rejection is logged here,
      // not left to reach the process as an unhandled rejection.
      if (isObject(r) && typeof (r as Promise<unknown>).then === 'function') {
        Promise.resolve(r).then(undefined, (e: unknown) => this.log("tsgi: error in the body's close(): ", e));
      }
    } catch (error) {
      this.log("tsgi: error in the body's close(): ", error);
    }
  }

  private note(text: string): void {
    try {
      this.ctx.errors.write(text);
    } catch { /* as in log() */ }
  }

  /** One line on wsgi.errors; a logger that throws is ignored (it must not fail the
   * response it reports on). */
  private log(prefix: string, error: unknown): void {
    try {
      this.ctx.errors.write(`${prefix}${describeThrown(error)}\n`);
    } catch { /* nowhere left to report it */ }
  }
}
