// wsgi.errors (PEP 3333 "Input and Error Streams"): a text stream for error output.
// Default: process.stderr. With a logger, complete lines go to logger.error.

import type { ErrorStream, Logger } from './types.js';

export function createErrorStream(logger: Logger | undefined): ErrorStream {
  if (!logger) {
    return {
      write: (text: string) => { process.stderr.write(String(text)); },
      writelines: (lines: Iterable<string>) => { for (const line of lines) process.stderr.write(String(line)); },
      flush: () => {},
    };
  }
  let partial = '';
  const write = (text: string): void => {
    const lines = (partial + String(text)).split('\n');
    partial = lines.pop()!;
    for (const line of lines) logger.error(line);
  };
  return {
    write,
    writelines: (lines: Iterable<string>) => { for (const line of lines) write(line); },
    flush: () => {
      if (partial) logger.error(partial);
      partial = '';
    },
  };
}
