// Engine `memory`: the Exchange contract (src/contract.ts) without sockets. A request
// (method, target, headers, body bytes or stream, version) goes in; the gateway answers
// it exactly as on a server, and the response comes out through a ResponseSink: the head
// serialized as an engine writes it (status line, the app's headers, Date, and the
// framing and Connection headers the gateway decided), body bytes (de-framed), and how it
// ended (complete, connection kept or closed; or cut). The test client, the adapters and
// compress run the one gateway on it. Backpressure (data() returning false until
// drained()), a client leaving (leave()), HEAD, sendFile and 100-continue behave as on
// the socket engines.

import { read } from 'node:fs';
import { ExchangeStateError } from '../errors.js';
import { httpDate } from '../http-date.js';
import { ConnectionToken, Framing, type Exchange, type RequestHead, type ResponseHead } from '../contract.js';
import { headText } from './native-head-writer.js';

/** A request body: all its bytes, or a stream of them (e.g. a fetch body). */
export type RequestBody = Uint8Array | AsyncIterable<Uint8Array>;

/** The response head as an engine puts it on the wire. */
export interface WireHead {
  /** "200 OK" */
  status: string;
  code: number;
  /** Every header line in wire order, latin-1, including Date, Content-Length,
   * Transfer-Encoding and Connection where the engine adds them. */
  headers: [string, string][];
  /** The app's headers alone (validated; Server added unless the app set one), for
   * adapters whose host server writes Date, Connection and framing itself. */
  appHeaders: [string, string][];
  /** The head exactly as sent, latin-1 ("HTTP/1.1 200 OK\r\n…\r\n\r\n"). */
  text: string;
  framing: Framing;
  /** Content-Length when framing is Length, else -1. */
  contentLength: number;
  /** No body follows (HEAD, 204, 304). */
  noBody: boolean;
}

/** Where the memory engine delivers a response. None of these may throw. */
export interface ResponseSink {
  /** "HTTP/1.1 100 Continue" went out (RFC 9110 §10.1.1). */
  continued(): void;
  head(head: WireHead): void;
  /** Body bytes, de-framed. Returns false when the client takes no more for now: the
   * owner calls the exchange's drained() when it does. */
  data(chunk: Uint8Array): boolean;
  /** The response is complete; `keepAlive`: the connection would stay open. */
  end(keepAlive: boolean): void;
  /** The server closed the connection before the response was complete (PEP 3333
   * "Error Handling": the client must not take a truncated body as complete). */
  cut(): void;
  /** The request ended before its body did (the client closed): no answer follows. */
  left?(): void;
  /** Offered a file body (wsgi.file_wrapper) before it is read: return true to take the
   * range and call `done` when finished with it (a server outside sends it with
   * sendfile); false, and the engine reads it into data(). */
  file?(fd: number, offset: number, length: number, done: (error?: Error) => void): boolean;
}

const EMPTY = new Uint8Array(0);
const SEND_FILE_BLOCK = 64 * 1024;
const toBytes = (chunk: Uint8Array | string): Uint8Array => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);

const enum Phase { Open, Ended, Cut, Left }

export class MemoryExchange implements Exchange {
  private phase = Phase.Open;
  private response: ResponseHead | undefined;
  private headSent = false;
  private writable: (() => void) | undefined;
  private aborted: (() => void) | undefined;
  private reading = false;
  private bodyPaused = false;
  private resumeBodyPump: (() => void) | undefined;
  /** A sendFile waiting for drained(): it must still call done() if the exchange ends. */
  private fileWaiting: (() => void) | undefined;

  constructor(
    readonly head: RequestHead,
    /** Request body framing, as an engine's parser found it (RFC 9112 §6.3). */
    readonly bodyLength: number,
    private readonly body: RequestBody | undefined,
    private readonly sink: ResponseSink,
  ) {}

  /** The response is over (complete or cut), or the client left. */
  get done(): boolean {
    return this.phase !== Phase.Open;
  }

  // ------------------------------------------------------------ client side ----

  /** The client took what it was sent: a blocked write may be retried. */
  drained(): void {
    const callback = this.writable;
    this.writable = undefined;
    if (callback && this.phase === Phase.Open) this.guard(callback);
  }

  /** The client goes away before the response is complete (closes its connection). */
  leave(): void {
    if (this.phase !== Phase.Open) return;
    this.phase = Phase.Left;
    this.stopWaiting();
    const callback = this.aborted;
    this.aborted = undefined;
    if (callback) this.guard(callback);
  }

  /** The request body stopped short: the client is gone. */
  private closedEarly(): void {
    if (this.phase !== Phase.Open) return;
    this.leave();
    this.sink.left?.();
  }

  // ------------------------------------------------------------ request body ----

  readBody(onChunk: (chunk: Uint8Array, last: boolean) => void): void {
    if (this.reading) throw new ExchangeStateError('readBody() was already called');
    this.reading = true;
    const body = this.body;
    const declared = this.bodyLength;
    if (body === undefined || body instanceof Uint8Array) {
      const bytes = body ?? EMPTY;
      if (declared >= 0 && bytes.length < declared) {
        // The client sent less than its Content-Length, then closed.
        if (bytes.length > 0) onChunk(bytes, false);
        return this.closedEarly();
      }
      // Bytes past the Content-Length would be the next request, not this body.
      onChunk(declared >= 0 ? bytes.subarray(0, declared) : bytes, true);
      return;
    }
    void this.pumpBody(body, onChunk);
  }

  private async pumpBody(body: AsyncIterable<Uint8Array>, onChunk: (chunk: Uint8Array, last: boolean) => void): Promise<void> {
    const declared = this.bodyLength;
    let received = 0;
    try {
      for await (const chunk of body) {
        if (this.phase !== Phase.Open) return;
        const part = declared >= 0 ? chunk.subarray(0, declared - received) : chunk;
        received += part.length;
        if (declared >= 0 && received === declared) return onChunk(part, true);
        onChunk(part, false);
        while (this.bodyPaused && this.phase === Phase.Open) await new Promise<void>((resolve) => { this.resumeBodyPump = resolve; });
      }
      if (this.phase !== Phase.Open) return;
      if (declared >= 0 && received < declared) return this.closedEarly();
      onChunk(EMPTY, true);
    } catch {
      // The body stream failed: to the server, the client's connection broke.
      this.closedEarly();
    }
  }

  pauseBody(): void { this.bodyPaused = true; }
  resumeBody(): void {
    this.bodyPaused = false;
    const resume = this.resumeBodyPump;
    this.resumeBodyPump = undefined;
    resume?.();
  }

  writeContinue(): void {
    if (this.phase === Phase.Open) this.sink.continued();
  }

  // ------------------------------------------------------------ response ----

  /** As strict as the native engine: the contract driven out of order is a gateway bug,
   * and the tests that run here should see it. */
  writeHead(head: ResponseHead): void {
    if (this.headSent) throw new ExchangeStateError('writeHead(): the response head is already on the wire');
    this.response = head;
  }

  /** Serialize the head as the socket engines do (native-head-writer.ts). */
  private sendHead(): ResponseHead {
    const h = this.response;
    if (!h) throw new ExchangeStateError('writeHead() must come before write() or end()');
    if (this.headSent) return h;
    this.headSent = true;
    const text = headText(h, h.hasDate ? '' : `Date: ${httpDate()}\r\n`);
    const lines = text.slice(0, -4).split('\r\n');
    const headers: [string, string][] = [];
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i]!.indexOf(':');
      headers.push([lines[i]!.slice(0, colon), lines[i]!.slice(colon + 1).trim()]);
    }
    const appHeaders: [string, string][] = [];
    for (let i = 0; i + 1 < h.headers.length; i += 2) appHeaders.push([h.headers[i]!, h.headers[i + 1]!]);
    this.sink.head({
      status: h.status,
      code: Number(h.status.slice(0, 3)),
      headers,
      appHeaders,
      text,
      framing: h.framing,
      contentLength: h.framing === Framing.Length ? h.contentLength : -1,
      noBody: h.noBody,
    });
    return h;
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.phase !== Phase.Open) return true;
    if (this.sendHead().noBody) return true;
    const bytes = toBytes(chunk);
    return bytes.length === 0 ? true : this.sink.data(bytes);
  }

  end(chunk?: Uint8Array | string): void {
    if (this.phase !== Phase.Open) return;
    const h = this.sendHead();
    this.phase = Phase.Ended;
    if (chunk !== undefined && !h.noBody) {
      const bytes = toBytes(chunk);
      if (bytes.length > 0) this.sink.data(bytes);
    }
    this.sink.end(h.connection !== ConnectionToken.Close);
  }

  onWritable(callback: () => void): void {
    this.writable = callback;
  }

  onAborted(callback: () => void): void {
    this.aborted = callback;
  }

  abort(): void {
    if (this.phase !== Phase.Open) return;
    this.phase = Phase.Cut;
    this.stopWaiting();
    this.sink.cut();
  }

  /** The exchange ended: wake what waits on the client, so it sees that and stops. */
  private stopWaiting(): void {
    this.writable = undefined;
    this.resumeBodyPump?.();
    const file = this.fileWaiting;
    this.fileWaiting = undefined;
    file?.();
  }

  /** The file range read in blocks, each handed to the sink with backpressure. */
  sendFile(fd: number, offset: number, length: number, done: (error?: Error) => void): void {
    if (this.sendHead().noBody || length === 0) return done();
    if (this.sink.file?.(fd, offset, length, done)) return;
    let position = offset;
    const end = offset + length;
    const next = (): void => {
      this.fileWaiting = undefined;
      if (this.phase !== Phase.Open) return done();
      if (position >= end) return done();
      const buffer = Buffer.allocUnsafe(Math.min(SEND_FILE_BLOCK, end - position));
      read(fd, buffer, 0, buffer.length, position, (error, n) => {
        if (error) return done(error);
        if (this.phase !== Phase.Open) return done();
        if (n === 0) return done(new Error(`sendFile: the file ended ${end - position} bytes before the range did`));
        position += n;
        if (this.sink.data(buffer.subarray(0, n))) next();
        else this.writable = this.fileWaiting = next;
      });
    };
    next();
  }

  /** Gateway callbacks do not throw (gateway.ts); should one, the connection closes, as
   * the socket engines do with what escapes to them. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch {
      this.abort();
    }
  }
}
