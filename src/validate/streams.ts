// Wrappers for wsgi.input and wsgi.errors that check both sides of PEP 3333 "Input and
// Error Streams": the app's arguments, the server's results, and that the app never
// closes either stream.

import type { ErrorStream, InputStream } from '../types.js';
import { show, type Report } from './rules.js';

function checkSize(report: Report, method: string, size: unknown): void {
  if (size === undefined || size === null) return;
  if (typeof size !== 'number' || !Number.isInteger(size)) {
    report.fail('input-argument', `wsgi.input.${method}(size): size must be an integer, null or omitted, got ${show(size)}`);
  }
}

function checkBytes(report: Report, method: string, result: unknown): Uint8Array {
  if (!(result instanceof Uint8Array)) report.fail('input-result', `wsgi.input.${method}() must return a Uint8Array, got ${show(result)} (server bug)`);
  return result;
}

export function wrapInput(input: InputStream, report: Report): InputStream {
  return {
    read(size?: number | null): Uint8Array {
      checkSize(report, 'read', size);
      const out = checkBytes(report, 'read', input.read(size));
      if (typeof size === 'number' && size >= 0 && out.length > size) {
        report.fail('input-result', `wsgi.input.read(${size}) returned ${out.length} bytes (server bug)`);
      }
      return out;
    },
    readline(size?: number | null): Uint8Array {
      checkSize(report, 'readline', size);
      const out = checkBytes(report, 'readline', input.readline(size));
      const lf = out.indexOf(10);
      if (lf !== -1 && lf !== out.length - 1) report.fail('input-result', 'wsgi.input.readline() returned bytes past the first LF (server bug)');
      return out;
    },
    readlines(hint?: number | null): Uint8Array[] {
      checkSize(report, 'readlines', hint);
      const lines = input.readlines(hint);
      if (!Array.isArray(lines)) report.fail('input-result', `wsgi.input.readlines() must return an array, got ${show(lines)} (server bug)`);
      for (const line of lines) checkBytes(report, 'readlines', line);
      return lines;
    },
    *[Symbol.iterator](): Iterator<Uint8Array> {
      for (const line of input) yield checkBytes(report, 'iteration', line);
    },
    get remaining(): number {
      return input.remaining;
    },
    close(): void {
      report.fail('input-close', 'the application must not close wsgi.input; the server does (PEP 3333 "Input and Error Streams")');
    },
  };
}

export function wrapErrors(errors: ErrorStream, report: Report): ErrorStream {
  const checkText = (text: unknown): string => {
    if (typeof text !== 'string') report.fail('errors-argument', `wsgi.errors.write() takes a string, got ${show(text)} (PEP 3333 "Input and Error Streams")`);
    return text;
  };
  return {
    write(text: string): void {
      errors.write(checkText(text));
    },
    writelines(lines: Iterable<string>): void {
      if (lines === null || typeof (lines as Iterable<string>)?.[Symbol.iterator] !== 'function') {
        report.fail('errors-argument', `wsgi.errors.writelines() takes an iterable of strings, got ${show(lines)}`);
      }
      const list = [...lines];
      list.forEach(checkText);
      errors.writelines(list);
    },
    flush(): void {
      errors.flush();
    },
    close(): void {
      report.fail('errors-close', 'the application must not close wsgi.errors (PEP 3333 "Input and Error Streams")');
    },
  } as ErrorStream;
}
