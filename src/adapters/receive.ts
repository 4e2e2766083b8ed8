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

/** `declaredLength`: Content-Length, or -1 when unknown (chunked / stream). */
export function receiveStream(source: AsyncIterable<Uint8Array>, declaredLength: number, limits: BodyLimits = {}): Promise<BodyInput> {
  const maxBodySize = limits.maxBodySize ?? 1024 * 1024 * 1024;
  if (declaredLength === 0) return Promise.resolve(BodyInput.empty());
  if (declaredLength > maxBodySize) return Promise.reject(new BodyTooLargeError(maxBodySize));
  return new Promise((resolve, reject) => {
    let resume: (() => void) | undefined;
    let paused = false;
    let stopped = false;
    // receiveBody needs only these four members of an Exchange.
    const source4: Pick<Exchange, 'bodyLength' | 'readBody' | 'pauseBody' | 'resumeBody'> = {
      bodyLength: declaredLength,
      readBody(onChunk) {
        void (async () => {
          try {
            for await (const chunk of source) {
              if (stopped) return;
              onChunk(chunk, false);
              while (paused && !stopped) await new Promise<void>((r) => { resume = r; });
            }
            if (!stopped) onChunk(EMPTY, true);
          } catch (error) {
            stopped = true;
            reject(error);
          }
        })();
      },
      pauseBody() { paused = true; },
      resumeBody() { paused = false; resume?.(); resume = undefined; },
    };
    receiveBody(source4 as Exchange, { maxBodySize, memoryLimit: limits.bodyMemoryLimit ?? 1024 * 1024 }, resolve, (reason, error) => {
      stopped = true;
      resume?.();
      if (reason === BodyFailure.TooLarge) reject(new BodyTooLargeError(maxBodySize));
      else if (reason === BodyFailure.Aborted) reject(new Error('the request body ended before its Content-Length'));
      else reject(error ?? new Error('could not receive the request body'));
    });
  });
}
