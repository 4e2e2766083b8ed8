// Texts and errors the gateway builds while reporting a failure: kept out of errors.ts,
// whose every export is public API (src/index.ts re-exports it).

import { createServer } from 'node:net';
import { getSystemErrorMap } from 'node:util';

import { InvalidBodyError } from './errors.js';

/** The body's [Symbol.iterator]() or [Symbol.asyncIterator]() gave no iterator. */
export const badIterator = (got: unknown): InvalidBodyError =>
  new InvalidBodyError(got, `the body's [Symbol.iterator]() or [Symbol.asyncIterator]() returned ${got === null ? 'null' : typeof got}; expected an iterator`);

/** The body iterator's next() gave something other than an {done, value} object. */
export const badIteratorResult = (got: unknown): InvalidBodyError =>
  new InvalidBodyError(got, `the body iterator's next() returned ${got === null ? 'null' : typeof got}; expected an object {done, value}`);

/** Text of a thrown value for a log line. Never throws: `stack`, `toString` or a Proxy
 * trap of a thrown value may. */
export function describeThrown(error: unknown): string {
  try {
    if (error instanceof Error) return error.stack ?? String(error);
    return String(error);
  } catch {
    try {
      return Object.prototype.toString.call(error);
    } catch {
      return 'a value that cannot be printed';
    }
  }
}

/** The error Node itself gives for a failed system call (`code` EADDRINUSE, `errno`,
 * `syscall`, message "bind EADDRINUSE: address already in use 127.0.0.1:80"), built from
 * a negative errno that the native addon reports. */
export function systemError(errno: number, syscall: string, target?: string): NodeJS.ErrnoException {
  const [code, text] = getSystemErrorMap().get(errno) ?? [`errno ${errno}`, 'unknown system error'];
  const error: NodeJS.ErrnoException = new Error(`${syscall} ${code}: ${text}${target === undefined ? '' : ` ${target}`}`);
  error.code = code;
  error.errno = errno;
  error.syscall = syscall;
  return error;
}

/** uWebSockets.js reports a failed listen as `false`, without a reason: the reason is what
 * the operating system says when node:net listens once on the same address (closed at
 * once if it succeeds, the address being free again by then). */
export function listenFailureCause(path: string | undefined, host: string, port: number): Promise<Error> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', resolve);
    const free = (): void => { probe.close(() => resolve(new Error('uWebSockets.js could not listen; the address was free when probed again'))); };
    if (path) probe.listen({ path }, free);
    else probe.listen({ host, port, exclusive: true }, free);
  });
}
