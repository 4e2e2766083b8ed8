// wsgi.input (PEP 3333 "Input and Error Streams"): a synchronous, read-only file-like
// object over a request body that was received in full before the app was called.
// Small bodies live in memory; large ones were spooled to an unlinked temporary file
// (see body-receiver.ts) and are read back in windows of WINDOW bytes.

import { closeSync, readSync } from 'node:fs';
import type { InputStream } from './types.js';

const WINDOW = 64 * 1024;
const EMPTY = new Uint8Array(0);
const LF = 10;

export class BodyInput implements InputStream {
  /** Absolute offset of the next byte to return. */
  private pos = 0;
  /** Bytes [windowStart, windowStart + window.length) of the body. */
  private window: Uint8Array;
  private windowStart = 0;

  /** `memory`: the whole body; or `fd` + `size`: a spooled body in a file. */
  constructor(memory: Uint8Array, private readonly fd = -1, private readonly size = memory.length) {
    this.window = memory;
  }

  /** Shared by every request without a body: it has nothing to read or release. */
  static empty(): BodyInput {
    return EMPTY_INPUT;
  }

  get remaining(): number {
    return this.size - this.pos;
  }

  /** PEP 3333: read(size); a missing or negative size reads to the end (wsgi.input_terminated). */
  read(size?: number | null): Uint8Array {
    const n = size == null || size < 0 ? this.remaining : Math.min(checkSize(size), this.remaining);
    if (n === 0) return EMPTY;
    if (this.fd === -1) return this.window.subarray(this.pos, (this.pos += n));
    const out = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      this.fill();
      const at = this.pos - this.windowStart;
      const take = Math.min(n - done, this.window.length - at);
      out.set(this.window.subarray(at, at + take), done);
      done += take;
      this.pos += take;
    }
    return out;
  }

  /** PEP 3333: readline(size) — up to and including the next LF, at most size bytes. */
  readline(size?: number | null): Uint8Array {
    const limit = size == null || size < 0 ? this.remaining : Math.min(checkSize(size), this.remaining);
    if (limit === 0) return EMPTY;
    if (this.fd === -1) {
      const lf = this.window.indexOf(LF, this.pos);
      const end = lf === -1 ? this.size : Math.min(lf + 1, this.pos + limit);
      return this.window.subarray(this.pos, (this.pos = Math.min(end, this.pos + limit)));
    }
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < limit) {
      this.fill();
      const at = this.pos - this.windowStart;
      const avail = this.window.subarray(at, at + Math.min(limit - total, this.window.length - at));
      const lf = avail.indexOf(LF);
      const piece = lf === -1 ? avail : avail.subarray(0, lf + 1);
      parts.push(piece.slice());
      total += piece.length;
      this.pos += piece.length;
      if (lf !== -1) break;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  }

  /** PEP 3333: readlines(hint) — lines until their total size reaches hint. */
  readlines(hint?: number | null): Uint8Array[] {
    const lines: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const line = this.readline();
      if (line.length === 0) return lines;
      lines.push(line);
      total += line.length;
      if (hint != null && hint > 0 && total >= hint) return lines;
    }
  }

  /** PEP 3333: "__iter__ ... as readline()". */
  *[Symbol.iterator](): Iterator<Uint8Array> {
    for (let line = this.readline(); line.length > 0; line = this.readline()) yield line;
  }

  /** Releases a spooled file. The gateway calls it when the response is done; an app
   * calling it early only ends reading (PEP 3333: the app must not close wsgi.input). */
  close(): void {
    if (this.fd !== -1 && !this.closed) {
      this.closed = true;
      closeSync(this.fd);
    }
    this.pos = this.size;
  }
  private closed = false;

  /** Make the window hold byte `pos` (file-backed bodies only). */
  private fill(): void {
    if (this.pos >= this.windowStart && this.pos < this.windowStart + this.window.length) return;
    if (this.closed) throw new Error('wsgi.input: the request is over, its body was released');
    const length = Math.min(WINDOW, this.size - this.pos);
    const buf = this.window.length === WINDOW && this.window.byteOffset === 0 ? this.window : new Uint8Array(WINDOW);
    let got = 0;
    while (got < length) got += readSync(this.fd, buf, got, length - got, this.pos + got);
    this.window = buf.subarray(0, length);
    this.windowStart = this.pos;
  }
}

function checkSize(size: number): number {
  if (!Number.isInteger(size)) throw new TypeError(`wsgi.input: size must be an integer, got ${size}`);
  return size;
}

const EMPTY_INPUT = new BodyInput(EMPTY);
