// The client goes away at every phase of an exchange: during the head, during the
// upload, while the app awaits, mid-response and mid-sendfile. Every time: close() runs
// exactly once (when there is a body to close), no descriptor is left, memory does not
// grow, and the server answers the next request.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { App, Body, Environ } from '../../src/types.js';
import { RawConnection } from '../helpers/raw-http.js';
import { engines, memoryLogger, start } from '../helpers/server.js';
import { descriptorsSettle, eventually, openDescriptors, PAYLOAD_SIZE, recordFigures, repeatFault } from './harness.js';

const TEXT: [string, string][] = [['Content-Type', 'application/octet-stream']];
const HEAD = 'Host: h\r\n';
const payload = Buffer.alloc(PAYLOAD_SIZE, 0x61);

let dir: string;
let bigFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsgi-faults-'));
  bigFile = join(dir, 'big.bin');
  writeFileSync(bigFile, Buffer.alloc(8 * 1024 * 1024, 0x62));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The app for every scenario: /healthy answers "healthy"; other paths are the faults. */
function faultApp(closes: { n: number }, pending: (() => void)[]): App {
  return (environ: Environ, startResponse) => {
    const path = environ.PATH_INFO;
    if (path === '/healthy') { startResponse('200 OK', TEXT); return ['healthy']; }
    if (path === '/upload') {
      environ['wsgi.input'].read();
      startResponse('200 OK', TEXT);
      return { [Symbol.iterator]: () => ['got it'][Symbol.iterator](), close: () => { closes.n++; } };
    }
    if (path === '/await') {
      // The app awaits something the test releases after the client is gone.
      return new Promise<Body>((resolve) => pending.push(() => {
        startResponse('200 OK', TEXT);
        resolve({ [Symbol.iterator]: () => [payload][Symbol.iterator](), close: () => { closes.n++; } });
      }));
    }
    if (path === '/stream') {
      startResponse('200 OK', TEXT);
      return (async function* () {
        try { for (;;) yield payload; } finally { closes.n++; }
      })();
    }
    if (path === '/sendfile') {
      startResponse('200 OK', TEXT);
      const fd = openSync(bigFile, 'r');
      return (environ['wsgi.file_wrapper'])({ fd, close: () => { closes.n++; closeSync(fd); } });
    }
    startResponse('404 Not Found', TEXT);
    return ['no such fault'];
  };
}

/** Connect, send `bytes`, optionally wait for `received` response bytes, then vanish. */
async function sendAndVanish(port: number, bytes: string | Buffer, received = 0): Promise<void> {
  const c = new RawConnection(port);
  await c.write(bytes);
  if (received > 0) await c.until((k) => k.data.length >= received);
  c.close();
  await eventually(() => c.closed, 'client socket to close');
}

describe.each(engines)('client disconnects on %s', (engine) => {
  const closes = { n: 0 };
  const pending: (() => void)[] = [];
  const setUp = async () => {
    closes.n = 0;
    pending.length = 0;
    return start(faultApp(closes, pending), engine, { logger: memoryLogger() }, { validate: false });
  };

  it('during the request head', async () => {
    const s = await setUp();
    const figures = await repeatFault({
      port: s.port, closesPerFault: 0, closes: () => closes.n,
      fault: () => sendAndVanish(s.port, `GET /stream HTTP/1.1\r\n${HEAD}X-Half: ${'h'.repeat(2000)}`),
    });
    await recordFigures(engine, 'disconnect during head', figures);
  });

  it('during the upload', async () => {
    const s = await setUp();
    const figures = await repeatFault({
      port: s.port, closesPerFault: 0, closes: () => closes.n,
      fault: () => sendAndVanish(s.port, Buffer.concat([Buffer.from(`POST /upload HTTP/1.1\r\n${HEAD}Content-Length: ${4 * PAYLOAD_SIZE}\r\n\r\n`), payload])),
    });
    await recordFigures(engine, 'disconnect during upload', figures);
  });

  it('while the app awaits', async () => {
    const s = await setUp();
    const figures = await repeatFault({
      port: s.port, closesPerFault: 1, closes: () => closes.n,
      fault: async () => {
        const before = openDescriptors();
        const c = new RawConnection(s.port);
        await c.write(`GET /await HTTP/1.1\r\n${HEAD}\r\n`);
        await eventually(() => pending.length > 0, 'the app to be called');
        c.close();
        await eventually(() => c.closed, 'client socket to close');
        // Let the server see the disconnect (and release its socket) before the app resumes.
        await descriptorsSettle(before, 500);
        pending.shift()!();
      },
    });
    await recordFigures(engine, 'disconnect while the app awaits', figures);
  });

  it.each([
    ['mid-response (endless stream)', '/stream', 'disconnect mid-response'],
    ['mid-sendfile (wsgi.file_wrapper)', '/sendfile', 'disconnect mid-sendfile'],
  ])('%s', async (_name, path, label) => {
    const s = await setUp();
    const figures = await repeatFault({
      port: s.port, closesPerFault: 1, closes: () => closes.n,
      fault: () => sendAndVanish(s.port, `GET ${path} HTTP/1.1\r\n${HEAD}\r\n`, PAYLOAD_SIZE),
    });
    await recordFigures(engine, label, figures);
  });
});
