// wsgi.file_wrapper (PEP 3333 "Optional Platform-Specific File Handling"). A file with
// a real descriptor (a path, a descriptor, an object with `fd`) becomes a FileWrapper:
// the response writer sends it with the engine's sendFile (sendfile(2), zero copy) when
// it has one; otherwise, and when iterated by middleware, it yields blocks read
// asynchronously. Any other "file-like" object — anything with read(size), as the PEP
// allows — becomes a ReadWrapper: an ordinary body of read(blockSize) blocks.

import { closeSync, fstatSync, openSync, read } from 'node:fs';
import { SendFileError } from './errors.js';
import type { FileLike } from './types.js';

const describe = (value: unknown): string =>
  value === null ? 'null' : typeof value === 'object' ? `an object with keys [${Object.keys(value).join(', ')}]` : `a ${typeof value}`;

export class FileWrapper implements AsyncIterable<Uint8Array> {
  readonly fd: number;
  /** Bytes from `offset` to send; computed from fstat unless given. */
  readonly length: number;
  readonly offset: number;
  private readonly ownsFd: boolean;
  private readonly onClose: (() => void) | undefined;
  private closed = false;

  /** PEP 3333: file_wrapper(filelike, block_size). A path is opened here and closed by
   * close(); a descriptor or {fd} object is closed through its own close() if it has one. */
  constructor(file: FileLike, readonly blockSize = 64 * 1024, range?: { offset: number; length: number }) {
    if (typeof file === 'string') {
      this.fd = openSync(file, 'r');
      this.ownsFd = true;
      this.onClose = undefined;
    } else if (typeof file === 'number') {
      this.fd = file;
      this.ownsFd = false;
      this.onClose = undefined;
    } else if (file && typeof file === 'object' && 'fd' in file && typeof file.fd === 'number') {
      this.fd = file.fd;
      this.ownsFd = false;
      this.onClose = typeof file.close === 'function' ? () => file.close!() : undefined;
    } else {
      throw new TypeError(`wsgi.file_wrapper needs a path, a file descriptor, an object with an fd or one with read(size); got ${describe(file)}`);
    }
    if (!Number.isInteger(blockSize) || blockSize <= 0) throw new TypeError('wsgi.file_wrapper: blockSize must be a positive integer');
    this.offset = range?.offset ?? 0;
    this.length = range?.length ?? Math.max(0, fstatSync(this.fd).size - this.offset);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let position = this.offset;
    const end = this.offset + this.length;
    while (position < end && !this.closed) {
      const buf = Buffer.allocUnsafe(Math.min(this.blockSize, end - position));
      const n = await new Promise<number>((resolve, reject) => {
        read(this.fd, buf, 0, buf.length, position, (error, bytes) => (error ? reject(new SendFileError(error)) : resolve(bytes)));
      });
      if (n === 0) return;
      position += n;
      yield buf.subarray(0, n);
    }
  }

  /** PEP 3333: the wrapper's close() closes the file. Called once by the server. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsFd) closeSync(this.fd);
    else this.onClose?.();
  }
}

/** PEP 3333: "an object with a read() method that takes an optional size argument"; the
 * block may also come as a promise (a JS file-like reads asynchronously). */
export interface Readable {
  read(size: number): Uint8Array | string | null | undefined | Promise<Uint8Array | string | null | undefined>;
  close?: () => unknown;
}

/** PEP 3333's fallback for a file-like object with no descriptor: "an iterable whose
 * `__iter__` reads blocks of block_size from the filelike until it is exhausted", and
 * whose close() calls the filelike's close() if it has one. An empty (or null) read is
 * the end of the file. */
export class ReadWrapper implements AsyncIterable<Uint8Array | string> {
  private closed = false;
  constructor(private readonly file: Readable, readonly blockSize = 64 * 1024) {
    if (!Number.isInteger(blockSize) || blockSize <= 0) throw new TypeError('wsgi.file_wrapper: blockSize must be a positive integer');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array | string> {
    while (!this.closed) {
      const block = await this.file.read(this.blockSize);
      if (block === null || block === undefined || block.length === 0) return;
      if (typeof block !== 'string' && !(block instanceof Uint8Array)) {
        throw new TypeError(`wsgi.file_wrapper: read() must return a Uint8Array or a string, got ${typeof block}`);
      }
      yield block;
    }
  }

  /** Called once by the server; the filelike's close() may return a promise. */
  close(): unknown {
    if (this.closed) return undefined;
    this.closed = true;
    return typeof this.file.close === 'function' ? this.file.close() : undefined;
  }
}

const hasDescriptor = (file: unknown): boolean =>
  typeof file === 'string' || typeof file === 'number' || (typeof file === 'object' && file !== null && typeof (file as { fd?: unknown }).fd === 'number');

const isReadable = (file: unknown): file is Readable =>
  typeof file === 'object' && file !== null && typeof (file as Readable).read === 'function';

/** wsgi.file_wrapper(filelike, blockSize): sendfile when the file has a descriptor,
 * else blocks from its read(). */
export function fileWrapper(file: FileLike, blockSize?: number): FileWrapper | ReadWrapper {
  if (!hasDescriptor(file) && isReadable(file)) return new ReadWrapper(file, blockSize);
  return new FileWrapper(file, blockSize);
}
