// wsgi.file_wrapper (PEP 3333 "Optional Platform-Specific File Handling"). The response
// writer recognises a FileWrapper body and sends the file with the engine's sendFile
// (sendfile(2), zero copy) when it has one; otherwise, and when iterated by middleware,
// it yields blocks read asynchronously.

import { closeSync, fstatSync, openSync, read } from 'node:fs';
import type { FileLike } from './types.js';

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
    } else if (file && typeof file === 'object' && typeof file.fd === 'number') {
      this.fd = file.fd;
      this.ownsFd = false;
      this.onClose = typeof file.close === 'function' ? () => file.close!() : undefined;
    } else {
      throw new TypeError('wsgi.file_wrapper needs a path, a file descriptor or an object with an fd');
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
        read(this.fd, buf, 0, buf.length, position, (error, bytes) => (error ? reject(error) : resolve(bytes)));
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

export function fileWrapper(file: FileLike, blockSize?: number): FileWrapper {
  return new FileWrapper(file, blockSize);
}
