// Runs one PEP 3333 call outside a server — for the test client, the adapters and
// middleware that must see a whole response — with the servers' rules: status and
// headers checked by src/headers.ts, start_response called once unless with excInfo,
// headers held until the first non-empty chunk ("Buffering and Streaming"), write()
// output merged in order, and the body's close() called exactly once.

import {
  InvalidBodyError, InvalidChunkError, NoStartResponseError, StartResponseTwiceError, WriteBeforeStartError,
} from '../errors.js';
import { FileWrapper } from '../file-wrapper.js';
import { checkHeaders, checkStatus } from '../headers.js';
import type { App, Chunk, Environ, ErrorStream, WriteCallable } from '../types.js';

const enum State { Idle, Started, Committed, Done }

export interface DriveOptions {
  /** Request method: HEAD, like 204 and 304 responses, gets no body bytes (RFC 9110 §9.3.2). */
  method?: string;
  /** Cut bytes beyond a declared Content-Length and throw when fewer arrive, as the
   * servers do ("Handling the Content-Length Header"). Middleware leaves it off. */
  enforceLength?: boolean;
  /** Released with the body (wsgi.input), as the servers do. */
  input?: { close(): void };
  errors?: ErrorStream;
}

export interface DrivenResponse {
  status: string;
  code: number;
  /** The headers as the app gave them (validated). */
  headers: [string, string][];
  /** Declared Content-Length, or -1. */
  contentLength: number;
  /** Body size known without streaming (declared, array, FileWrapper, empty), or -1. */
  knownLength: number;
  /** The app returned a FileWrapper and wrote nothing: a server may sendfile it. */
  file: FileWrapper | undefined;
  /** The body is an async iterable: its next chunk may take any time to come. */
  streaming: boolean;
  /** The body bytes from the first chunk on. Iterate at most once. */
  body: AsyncGenerator<Uint8Array, void, undefined>;
  /** Release the app's body (close() once). Safe to call again, and after iteration. */
  close(): void;
}

const toBytes = (chunk: Chunk): Uint8Array => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
const isChunk = (c: unknown): c is Chunk => typeof c === 'string' || c instanceof Uint8Array;
const sizeOf = (c: Chunk): number => (typeof c === 'string' ? Buffer.byteLength(c) : c.length);

/** The servers' own checks (src/headers.ts); only whether they throw matters here, since
 * the shape of their result belongs to the gateway. Returns the declared Content-Length
 * (already validated there: one non-negative integer), or -1. */
function validateHead(status: string, headers: [string, string][]): number {
  checkStatus(status);
  (checkHeaders as unknown as (headers: unknown, out: Record<string, unknown>) => unknown)(headers, {});
  const declared = headers.find(([name]) => name.toLowerCase() === 'content-length');
  return declared ? Number(declared[1].trim()) : -1;
}

class Call {
  state = State.Idle;
  status = '';
  headers: [string, string][] = [];
  contentLength = -1;
  readonly queue: Chunk[] = [];
  body: unknown;
  iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  iteratorDone = false;
  /** The body is a synchronous iterable. */
  sync = false;
  private closed = false;
  constructor(private readonly input: { close(): void } | undefined) {}

  // PEP 3333 "The start_response() Callable".
  readonly startResponse = (status: string, headers: [string, string][], excInfo?: unknown): WriteCallable => {
    if (excInfo !== undefined && excInfo !== null) {
      if (this.state >= State.Committed) throw excInfo;
    } else if (this.state !== State.Idle) throw new StartResponseTwiceError();
    this.contentLength = validateHead(status, headers);
    this.status = status;
    this.headers = headers.map(([k, v]) => [k, v]);
    this.state = State.Started;
    return this.write;
  };

  // PEP 3333 "The write() Callable": its bytes come before anything yielded later.
  readonly write = (chunk: Chunk): void => {
    if (this.state === State.Idle) throw new WriteBeforeStartError();
    if (!isChunk(chunk)) throw new InvalidChunkError(chunk);
    if (this.state === State.Done) throw new WriteBeforeStartError('write() called after the response ended');
    if (sizeOf(chunk) === 0) return;
    this.state = State.Committed;
    this.queue.push(chunk);
  };

  /** The next chunk (maybe empty), or undefined at the end. */
  async next(): Promise<Chunk | undefined> {
    if (this.queue.length > 0) return this.queue.shift();
    if (this.iteratorDone || !this.iterator) return undefined;
    let step: IteratorResult<unknown>;
    try {
      step = await this.iterator.next();
    } catch (error) {
      this.iteratorDone = true;
      throw error;
    }
    if (this.queue.length > 0) {
      // write() was called during this step: its output goes first.
      if (!step.done) this.queue.push(step.value as Chunk);
      else this.iteratorDone = true;
      const first = this.queue.shift()!;
      if (!step.done && !isChunk(step.value)) throw new InvalidChunkError(step.value);
      return first;
    }
    if (step.done) { this.iteratorDone = true; return undefined; }
    if (!isChunk(step.value)) throw new InvalidChunkError(step.value);
    return step.value;
  }

  /** PEP 3333: close() exactly once; for a JS iterator that did not finish, return(). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.input?.close();
    const body = this.body as { close?: unknown } | null | undefined;
    if (body !== null && typeof body === 'object' && typeof body.close === 'function') {
      (body.close as () => void)();
    } else if (this.iterator && !this.iteratorDone && typeof this.iterator.return === 'function') {
      const r = this.iterator.return() as unknown;
      if (r instanceof Promise) r.catch(() => {});
    }
  }
}

/** Call `app` and wait for its response head. Rejects with the app's error, or a
 * TsgiError for a broken rule, if that happens before the head is final. */
export async function driveApp(app: App, environ: Environ, options: DriveOptions = {}): Promise<DrivenResponse> {
  const call = new Call(options.input);
  let result: unknown;
  try {
    result = await app(environ, call.startResponse);
  } catch (error) {
    // No body to close, but wsgi.input (maybe a spool file) is released all the same.
    call.close();
    throw error;
  }
  call.body = result;
  let knownLength = -1;
  let first: Chunk | undefined;
  let second: Chunk | undefined;
  try {
    if (result === null || typeof result !== 'object' || result instanceof Uint8Array) {
      throw new InvalidBodyError(result instanceof Uint8Array ? 'a bare Uint8Array (wrap it in an array)' : result);
    }
    if (Array.isArray(result)) {
      knownLength = 0;
      for (const c of result) {
        if (!isChunk(c)) throw new InvalidChunkError(c);
        knownLength += sizeOf(c);
      }
    }
    if (typeof (result as Iterable<unknown>)[Symbol.iterator] === 'function') {
      call.iterator = (result as Iterable<unknown>)[Symbol.iterator]();
      call.sync = true;
    } else if (typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
      call.iterator = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    } else throw new InvalidBodyError(result);
    const file = result instanceof FileWrapper && call.state === State.Started && call.queue.length === 0 ? result : undefined;
    if (file) knownLength = file.length;
    else {
      // Buffering and Streaming: the head is final at the first non-empty chunk.
      for (let c = await call.next(); c !== undefined; c = await call.next()) {
        if (sizeOf(c) > 0) { first = c; break; }
      }
      if (first === undefined) knownLength = 0;
      else if (knownLength < 0 && call.contentLength < 0 && call.sync) {
        // Peek once, as the servers do for synchronous bodies: a one-chunk body gets a
        // Content-Length. (Never for async bodies: the next chunk may take any time.)
        second = await call.next();
        if (second === undefined) knownLength = sizeOf(first);
      }
    }
    if (call.state === State.Idle) throw new NoStartResponseError();
    if (call.contentLength >= 0) knownLength = call.contentLength;
    call.state = State.Committed;
    const code = Number(call.status.slice(0, 3));
    const noBody = options.method === 'HEAD' || code === 204 || code === 304;
    return {
      status: call.status,
      code,
      headers: call.headers,
      contentLength: call.contentLength,
      knownLength,
      file,
      streaming: !call.sync,
      body: streamBody(call, first, second, noBody, options),
      close: () => call.close(),
    };
  } catch (error) {
    call.close();
    throw error;
  }
}

async function* streamBody(call: Call, first: Chunk | undefined, second: Chunk | undefined, noBody: boolean, options: DriveOptions): AsyncGenerator<Uint8Array, void, undefined> {
  const declared = options.enforceLength ? call.contentLength : -1;
  const held = [first, second].filter((c): c is Chunk => c !== undefined);
  const next = async (): Promise<Chunk | undefined> => (held.length > 0 ? held.shift() : call.next());
  let sent = 0;
  try {
    for (let c = await next(); c !== undefined; c = await next()) {
      if (noBody || sizeOf(c) === 0) continue;
      let bytes = toBytes(c);
      if (declared >= 0 && sent + bytes.length > declared) {
        options.errors?.write(`tsgi: the application sent more than its Content-Length; ${sent + bytes.length - declared} bytes cut\n`);
        bytes = bytes.subarray(0, declared - sent);
        if (bytes.length === 0) continue;
      }
      sent += bytes.length;
      yield bytes;
    }
    call.state = State.Done;
    if (!noBody && declared >= 0 && sent < declared) {
      throw new Error(`the application sent ${declared - sent} bytes less than its Content-Length (${declared})`);
    }
  } finally {
    call.state = State.Done;
    call.close();
  }
}
