// Receives a request body in full before the app runs (PEP 3333 leaves buffering to the
// server; tsgi buffers so that wsgi.input can be synchronous). Bodies above
// `memoryLimit` spool to an unlinked temporary file, written asynchronously with the
// socket paused while writes are outstanding, so memory stays bounded.

import { closeSync, openSync, unlinkSync, write } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Exchange } from './contract.js';
import { BodyInput } from './input.js';

export interface BodyLimits {
  maxBodySize: number;
  memoryLimit: number;
}

/** Why a body could not be received. */
export const enum BodyFailure {
  TooLarge = 1,
  Aborted = 2,
  SpoolError = 3,
  /** Something threw while receiving (an engine call, a copy): a 500, logged. */
  Internal = 4,
}

/** Unread spool data above which the socket is paused. */
const SPOOL_HIGH_WATER = 4 * 1024 * 1024;
let spoolSeq = 0;

/** Read the whole body of `exchange`; calls done(input) or fail(reason), once.
 * Returns the function to call when the client goes away. A chunked body
 * that grows past maxBodySize fails with TooLarge as soon as it does. Nothing here
 * throws into the engine: the engine's callbacks and the spool callbacks catch and fail
 * with Internal (`done` and `fail` must not throw either; the gateway's do not). */
export function receiveBody(
  exchange: Exchange,
  limits: BodyLimits,
  done: (input: BodyInput) => void,
  fail: (reason: BodyFailure, error?: unknown) => void,
): () => void {
  const expected = exchange.bodyLength;
  const chunks: Uint8Array[] = [];
  let total = 0;
  let fd = -1;
  let fileSize = 0;
  let queued = 0;
  let finished = false;
  let ended = false;
  let paused = false;

  const finishFile = (): void => {
    if (!ended || queued > 0 || finished) return;
    finished = true;
    done(new BodyInput(new Uint8Array(0), fd, fileSize));
  };
  const failOnce = (reason: BodyFailure, error?: unknown): void => {
    if (finished) return;
    finished = true;
    if (fd !== -1) {
      try { closeSync(fd); } catch { /* already closed: nothing to release */ }
    }
    fail(reason, error);
  };
  const spool = (chunk: Uint8Array): void => {
    const at = fileSize;
    fileSize += chunk.length;
    queued += chunk.length;
    if (!paused && queued > SPOOL_HIGH_WATER) { paused = true; exchange.pauseBody(); }
    writeAll(fd, chunk, at, (error) => {
      queued -= chunk.length;
      if (error) return failOnce(BodyFailure.SpoolError, error);
      try {
        if (paused && queued <= SPOOL_HIGH_WATER / 2 && !finished) { paused = false; exchange.resumeBody(); }
        finishFile();
      } catch (thrown) {
        failOnce(BodyFailure.Internal, thrown);
      }
    });
  };

  exchange.readBody((chunk, last) => {
    try {
      if (finished) return;
      total += chunk.length;
      if (total > limits.maxBodySize) return failOnce(BodyFailure.TooLarge);
      if (chunk.length > 0) {
        if (fd !== -1) spool(Uint8Array.prototype.slice.call(chunk));
        else if (total > limits.memoryLimit) {
          try {
            const path = join(tmpdir(), `tsgi-body-${process.pid}-${++spoolSeq}`);
            fd = openSync(path, 'wx+', 0o600);
            unlinkSync(path);
          } catch (error) {
            return failOnce(BodyFailure.SpoolError, error);
          }
          for (const c of chunks) spool(c);
          chunks.length = 0;
          spool(Uint8Array.prototype.slice.call(chunk));
        } else chunks.push(Uint8Array.prototype.slice.call(chunk));
      }
      if (!last) return;
      ended = true;
      if (expected > 0 && total !== expected) return failOnce(BodyFailure.Aborted);
      if (fd !== -1) return finishFile();
      finished = true;
      done(new BodyInput(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total)));
    } catch (error) {
      failOnce(BodyFailure.Internal, error);
    }
  });
  // The caller owns the exchange's abort callback and forwards it here.
  return () => failOnce(BodyFailure.Aborted);
}

function writeAll(fd: number, chunk: Uint8Array, position: number, cb: (error: Error | null) => void): void {
  write(fd, chunk, 0, chunk.length, position, (error, written) => {
    if (error) return cb(error);
    if (written < chunk.length) return writeAll(fd, chunk.subarray(written), position + written, cb);
    cb(null);
  });
}
