// Issue 13: a client that leaves during sendfile is not an application error. The
// sendFile callback's error after an abort (onAborted ran, or the engine reports
// TSGI_ERR_ABORTED) only closes the body: nothing is logged. A real sendfile failure
// still is.
import { closeSync, ftruncateSync, openSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Framing, type Exchange } from '../src/contract.js';
import { createErrorStream } from '../src/error-stream.js';
import { ExchangeAbortedError, SendFileError } from '../src/errors.js';
import { FileWrapper, fileWrapper } from '../src/file-wrapper.js';
import { createGateway } from '../src/gateway.js';
import { PlainRequestHead } from '../src/util/request-head.js';
import type { App } from '../src/types.js';
import { answersNext, eventually } from './faults/harness.js';
import { RawConnection } from './helpers/raw-http.js';
import { engines, memoryLogger, start } from './helpers/server.js';

const FILE = join(tmpdir(), `tsgi-sendfile-abort-${process.pid}`);
const fd = openSync(FILE, 'w');
ftruncateSync(fd, 256 * 1024 * 1024); // sparse: large on the wire, nothing on disk
closeSync(fd);
afterAll(() => unlinkSync(FILE));

/** A FileWrapper whose close() is counted. */
function countedFile(closes: { n: number }): FileWrapper {
  const f = fileWrapper(FILE) as FileWrapper;
  const close = f.close.bind(f);
  f.close = () => { closes.n++; close(); };
  return f;
}

describe('sendFile done(error) (fake engine)', () => {
  const run = async (error: Error, abortFirst: boolean): Promise<{ lines: string[]; closes: { n: number }; calls: string[] }> => {
    const lines: string[] = [];
    const closes = { n: 0 };
    const calls: string[] = [];
    let aborted: (() => void) | undefined;
    const app: App = (_e, sr) => { sr('200 OK', [['Content-Type', 'application/octet-stream']]); return countedFile(closes); };
    const handler = createGateway(app, {
      maxBodySize: 1, bodyMemoryLimit: 1,
      context: { serverHeader: 'tsgi', errors: createErrorStream({ error: (m) => { lines.push(m); } }), closing: false },
      defaults: { urlScheme: 'http', multiprocess: false, errors: createErrorStream({ error: () => {} }), fileWrapper, serverName: 'h' },
    });
    const exchange: Exchange = {
      head: new PlainRequestHead({ method: 'GET', target: '/', headers: ['Host', 'h'] }),
      bodyLength: 0,
      readBody: () => {}, pauseBody: () => {}, resumeBody: () => {}, writeContinue: () => {},
      writeHead: (h) => { calls.push(`head ${h.framing === Framing.Length ? 'Length' : h.framing}`); },
      write: () => true,
      end: () => { calls.push('end'); },
      onWritable: () => {},
      onAborted: (cb) => { aborted = cb; },
      abort: () => { calls.push('abort'); },
      // As the engines do: done() comes later, after the handler returned.
      sendFile: (_fd, _o, _l, done) => { setImmediate(() => { if (abortFirst) aborted!(); done(error); }); },
    };
    handler(exchange);
    await new Promise((r) => setTimeout(r, 10));
    return { lines: lines.filter((l) => l.startsWith('tsgi:')), closes, calls };
  };

  it('TSGI_ERR_ABORTED without onAborted first: closed once, nothing logged', async () => {
    const { lines, closes, calls } = await run(new ExchangeAbortedError('the connection closed during sendFile'), false);
    expect(closes.n).toBe(1);
    expect(lines).toEqual([]);
    expect(calls).toEqual(['head Length']);
  });
  it('any error after onAborted: closed once, nothing logged', async () => {
    const { lines, closes } = await run(new Error('EPIPE'), true);
    expect(closes.n).toBe(1);
    expect(lines).toEqual([]);
  });
  it('a real sendfile failure is logged once and closes the connection', async () => {
    const { lines, closes, calls } = await run(new SendFileError(Object.assign(new Error('sendfile EIO: i/o error'), { code: 'EIO' })), false);
    expect(closes.n).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('SendFileError: sending the file failed: sendfile EIO');
    expect(calls).toEqual(['head Length', 'abort']);
  });
});

describe.each(engines)('a client leaving mid-sendfile on %s', (engine) => {
  it('closes the file once and logs nothing', async () => {
    const closes = { n: 0 };
    const logger = memoryLogger();
    const server = await start((environ, sr) => {
      if (environ.PATH_INFO === '/healthy') { sr('200 OK', [['Content-Type', 'text/plain']]); return ['healthy']; }
      sr('200 OK', [['Content-Type', 'application/octet-stream']]);
      return countedFile(closes);
    }, engine, { logger }, { validate: false });
    for (let i = 1; i <= 3; i++) {
      const c = new RawConnection(server.port);
      await c.write('GET /file HTTP/1.1\r\nHost: h\r\n\r\n');
      await c.until((k) => k.data.length > 256 * 1024);
      c.close();
      await eventually(() => closes.n === i, `close() after the client left (${closes.n})`);
      await answersNext(server.port);
    }
    expect(closes.n).toBe(3);
    expect(logger.lines.filter((l) => l.includes('error'))).toEqual([]);
  });
});
