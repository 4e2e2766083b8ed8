// Receive a request body from a stream (node:http IncomingMessage, a fetch
// ReadableStream) into a BodyInput, with the servers' own receiver: bodies above the
// memory limit spool to an unlinked temporary file, so wsgi.input stays synchronous
// (PEP 3333 "Input and Error Streams") without holding large bodies in memory.

import { BodyFailure, receiveBody } from '../body-receiver.js';
import type { Exchange } from '../engines/types.js';
import { BodyInput } from '../input.js';

export interface BodyLimits {
  /** Larger bodies are refused (BodyTooLargeError, 413). Default 1 GiB. */
  maxBodySize?: number;
  /** Larger bodies spool to a temporary file. Default 1 MiB. */
  bodyMemoryLimit?: number;
}

/** The request body is larger than maxBodySize (answer 413, RFC 9110 §15.5.14). */
export class BodyTooLargeError extends Error {
  readonly status = 413;
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

const EMPTY = new Uint8Array(0);

/** A node:stream Readable (IncomingMessage), read with events so that it can be paused,
 * and drained rather than destroyed when we stop (a destroyed request socket could lose
 * the 413 answer). */
interface NodeReadable {
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(event: 'data'): unknown;
  pause(): unknown;
  resume(): unknown;
}

const isNodeReadable = (source: unknown): source is NodeReadable =>
  typeof (source as NodeReadable).on === 'function' && typeof (source as NodeReadable).pause === 'function';

/** `declaredLength`: Content-Length, or -1 when unknown (chunked / stream). */
export function receiveStream(source: AsyncIterable<Uint8Array> | NodeReadable, declaredLength: number, limits: BodyLimits = {}): Promise<BodyInput> {
  const maxBodySize = limits.maxBodySize ?? 1024 * 1024 * 1024;
  if (declaredLength === 0) return Promise.resolve(BodyInput.empty());
  if (declaredLength > maxBodySize) return Promise.reject(new BodyTooLargeError(maxBodySize));
  return new Promise((resolve, reject) => {
    let stopped = false;
    let pauseSource = (): void => {};
    let resumeSource = (): void => {};
    let stopSource = (): void => {};
    // receiveBody needs only these four members of an Exchange.
    const exchangeSide: Pick<Exchange, 'bodyLength' | 'readBody' | 'pauseBody' | 'resumeBody'> = {
      bodyLength: declaredLength,
      readBody(onChunk) {
        const fail = (error: Error): void => { if (!stopped) { stopped = true; reject(error); } };
        if (isNodeReadable(source)) {
          source.on('data', (chunk) => { if (!stopped) onChunk(chunk, false); });
          source.on('end', () => { if (!stopped) onChunk(EMPTY, true); });
          source.on('error', fail);
          pauseSource = () => { source.pause(); };
          resumeSource = () => { source.resume(); };
          // Keep reading and discard, so the connection stays usable for the answer.
          stopSource = () => { source.removeAllListeners('data'); source.resume(); };
          return;
        }
        let paused: Promise<void> | undefined;
        let wake = (): void => {};
        pauseSource = () => { paused ??= new Promise<void>((r) => { wake = r; }); };
        resumeSource = () => { paused = undefined; wake(); };
        stopSource = resumeSource;
        void (async () => {
          try {
            for await (const chunk of source) {
              if (stopped) return;
              onChunk(chunk, false);
              if (paused) await paused;
            }
            if (!stopped) onChunk(EMPTY, true);
          } catch (error) {
            fail(error as Error);
          }
        })();
      },
      pauseBody() { pauseSource(); },
      resumeBody() { resumeSource(); },
    };
    receiveBody(exchangeSide as Exchange, { maxBodySize, memoryLimit: limits.bodyMemoryLimit ?? 1024 * 1024 }, resolve, (reason, error) => {
      if (stopped) return;
      stopped = true;
      stopSource();
      if (reason === BodyFailure.TooLarge) reject(new BodyTooLargeError(maxBodySize));
      else if (reason === BodyFailure.Aborted) reject(new Error('the request body ended before its Content-Length'));
      else reject(error ?? new Error('could not receive the request body'));
    });
  });
}
