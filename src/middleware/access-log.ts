// accessLog(app, { format, write }): one line per request, in gunicorn's format language
// (access-log-format.ts), written when the response is over.
//
// The line describes the request as received: the keys the format reads are copied when
// the request reaches this middleware, before an inner mount() moves the prefix from
// PATH_INFO to SCRIPT_NAME and before the app edits anything. Copying early is also what
// makes the line safe to render late: once a response that finished inside the engine's
// callback is over, an environ key not read before throws TSGI_ERR_HEAD_EXPIRED
// (docs/security.md), and on uws the peer address can only be read while the response
// lives. Put accessLog inside proxyFix to log the client's address rather than the proxy's.

import type { App, Body, Chunk, Environ, StartResponse } from '../types.js';
import { chunkLength, tapBody } from './body-tap.js';
import { compileFormat, type AccessRecord } from './access-log-format.js';
import { InvalidOptionError } from '../errors.js';

export const DEFAULT_ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"';

export interface AccessLogOptions {
  /** gunicorn atoms, e.g. '%(h)s "%(r)s" %(s)s %(b)s %(D)s'. Default: gunicorn's default,
   * the Combined Log Format. */
  format?: string;
  /** Receives each line, without its newline. Default: process.stdout, one write per
   * event-loop turn. A write that throws is ignored: a log line never fails a request. */
  write?: (line: string) => void;
}

/** Lines joined into one write per event-loop turn instead of one per request. */
export function batchLines(write: (text: string) => void): (line: string) => void {
  let pending = '';
  const flush = (): void => {
    const text = pending;
    pending = '';
    write(text);
  };
  return (line) => {
    if (pending === '') setImmediate(flush);
    pending += line + '\n';
  };
}

export function accessLog(app: App, options: AccessLogOptions = {}): App {
  for (const key of Object.keys(options)) {
    if (key !== 'format' && key !== 'write') throw new InvalidOptionError(`accessLog: unknown option ${JSON.stringify(key)}`);
  }
  if (options.format !== undefined && typeof options.format !== 'string') throw new InvalidOptionError('accessLog: format must be a string');
  if (options.write !== undefined && typeof options.write !== 'function') throw new InvalidOptionError('accessLog: write must be a function');
  const { keys, timed, render } = compileFormat(options.format ?? DEFAULT_ACCESS_LOG_FORMAT);
  const writeLine = options.write ?? batchLines((text) => process.stdout.write(text));

  return function logged(environ: Environ, startResponse: StartResponse) {
    const request: Record<string, unknown> = {};
    for (const key of keys) request[key] = (environ as unknown as Record<string, unknown>)[key];
    const t0 = timed ? performance.now() : 0;
    const record: AccessRecord = { request, status: '', headers: [], bytes: 0, startedAt: Date.now(), elapsedUs: 0 };
    const log = (): void => {
      if (timed) record.elapsedUs = (performance.now() - t0) * 1000;
      try {
        writeLine(render(record));
      } catch { /* a log line must never fail a request */ }
    };
    const tappedStart: StartResponse = (status, headers, excInfo) => {
      const write = startResponse(status, headers, excInfo);
      record.status = status;
      record.headers = headers;
      return (chunk: Chunk) => {
        record.bytes += chunkLength(chunk);
        write(chunk);
      };
    };
    const failed = (error: unknown): never => {
      record.status = '500';
      log();
      throw error;
    };
    let result: Body | Promise<Body>;
    try {
      result = app(environ, tappedStart);
    } catch (error) {
      return failed(error);
    }
    const tap = {
      onChunk: (chunk: Chunk) => { record.bytes += chunkLength(chunk); },
      onEnd: log,
      onFile: (length: number) => { record.bytes += length; },
    };
    if (result !== null && typeof (result as Promise<Body>).then === 'function') {
      return (result as Promise<Body>).then((body) => tapBody(body, tap), failed);
    }
    return tapBody(result as Body, tap);
  };
}
