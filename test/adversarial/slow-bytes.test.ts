// Slow bytes of every kind (issue 13, "timers measure progress"): a byte that does not
// advance its phase never extends a deadline. Every dribble below sends a byte more often
// than the 1 s timeout, for up to DRIBBLE_MS; a server whose timer restarts on any byte
// never cuts it. The head, body, keep-alive and send timeouts must each end it within
// CUT_MS of the first byte (1 s timeout + 1 s timer granularity + slack).
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { dribble, engines, eventually, FAST, TEXT, UWS_FIXED_IDLE, withServer, type Lab } from './common.js';

const CUT_MS = 4000;
const DRIBBLE_MS = 7000;
const PACE_MS = 450;

const CHUNK = Buffer.alloc(64 * 1024, 0x65);

const BIG_SIZE = 12 * 1024 * 1024;
const BIG = Buffer.alloc(BIG_SIZE, 0x67);

function app(finallies: { n: number }): App {
  return (environ, startResponse) => {
    if (environ.PATH_INFO === '/big') {
      startResponse('200 OK', TEXT);
      return (function* () { for (let at = 0; at < BIG_SIZE; at += 256 * 1024) yield BIG.subarray(at, at + 256 * 1024); })();
    }
    if (environ.PATH_INFO === '/endless') {
      startResponse('200 OK', TEXT);
      return (async function* () { try { for (;;) yield CHUNK; } finally { finallies.n++; } })();
    }
    const body = environ['wsgi.input'].read();
    startResponse('200 OK', TEXT);
    return [`ok ${body.length}`];
  };
}

const POST_CHUNKED = 'POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n';

/** [name, first bytes, the paced byte(s), which timer must fire]. */
const STALLS: [string, string, (i: number) => string, string][] = [
  ['head: one header-value byte per 0.45 s', 'GET / HTTP/1.1\r\nHost: h\r\nX-Slow: ', () => 'a', 'headersTimeout'],
  ['head: one request-target byte per 0.45 s', 'GET /', () => 'a', 'headersTimeout'],
  ['head: a whole new header line per 0.45 s', 'GET / HTTP/1.1\r\nHost: h\r\n', (i) => `X-${i}: v\r\n`, 'headersTimeout'],
  ['between requests: CR and LF one at a time', 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', (i) => (i % 2 ? '\n' : '\r'), 'keepAliveTimeout'],
  ['between requests: idle after a response', 'GET / HTTP/1.1\r\nHost: h\r\n\r\n', () => '', 'keepAliveTimeout'],
  ['chunked: chunk-size digits dribbled', `${POST_CHUNKED}1`, () => '0', 'bodyTimeout'],
  ['chunked: a chunk extension dribbled', `${POST_CHUNKED}5;ext=`, () => 'x', 'bodyTimeout'],
  ['chunked: chunk-size line CRs and LFs after a chunk', `${POST_CHUNKED}1\r\nz\r\n`, (i) => (i % 2 ? '\n' : '\r'), 'bodyTimeout'],
  ['body: Content-Length trickle, one byte per 0.45 s', 'POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n', () => 'b', 'bodyTimeout'],
  ['body: chunk-data trickle, one byte per 0.45 s', `${POST_CHUNKED}100000\r\n`, () => 'b', 'bodyTimeout'],
  ['body: Expect: 100-continue, then a trickle', 'POST /upload HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n', () => 'b', 'bodyTimeout'],
  ['head of a second (pipelined) request, one byte per 0.45 s', 'GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\nX-Slow: ', () => 'a', 'headersTimeout'],
];

describe.each(engines)('slow bytes on %s', (engine) => {
  const idleFixed = engine === 'uws';

  for (const [name, first, next, timer] of STALLS) {
    (idleFixed ? it.skip : it.concurrent)(`${name} is cut by ${timer}${idleFixed ? ` (skipped: ${UWS_FIXED_IDLE})` : ''}`, async () => {
      await withServer(engine, app({ n: 0 }), FAST, async (lab) => {
        const r = await dribble(lab, first, next, PACE_MS, DRIBBLE_MS);
        expect(r.cutAfterMs, `${name}: connection still open after ${r.writes} paced writes; got ${JSON.stringify(r.data.toString('latin1').slice(0, 200))}`).toBeLessThan(CUT_MS);
      });
    });
  }

  // The other side of "timers measure progress": a client that makes progress is kept.
  /** Read `perTick` bytes every `tickMs` (flowing for just that long), until the server
   * ends the response or `maxMs` passes. */
  async function steadyRead(lab: Lab, perTick: number, tickMs: number, maxMs: number): Promise<{ got: number; ended: boolean; ms: number }> {
    const s = await lab.socket();
    s.pause();
    let got = 0;
    let allowance = 0;
    let ended = false;
    s.once('end', () => { ended = true; });
    s.once('close', () => { ended = true; });
    s.on('data', (d: Buffer) => { got += d.length; allowance -= d.length; if (allowance <= 0) s.pause(); });
    s.write('GET /big HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    const t0 = performance.now();
    while (!ended && performance.now() - t0 < maxMs) {
      await new Promise((r) => setTimeout(r, tickMs));
      allowance = perTick;
      s.resume();
    }
    return { got, ended, ms: performance.now() - t0 };
  }

  it.concurrent('a steady reader (1 MiB every 0.4 s of a 12 MiB response) gets it all; sendTimeout does not cut it', async () => {
    await withServer(engine, app({ n: 0 }), FAST, async (lab) => {
      const r = await steadyRead(lab, 1024 * 1024, 400, 12_000);
      expect(r.got, `received ${r.got} bytes in ${r.ms.toFixed(0)} ms (ended ${r.ended})`).toBeGreaterThan(BIG_SIZE);
    });
  }, 20_000);

  it.concurrent('a slow steady reader (64 KiB every 0.4 s) is still served after 4 s; sendTimeout does not cut it', async () => {
    await withServer(engine, app({ n: 0 }), FAST, async (lab) => {
      const r = await steadyRead(lab, 64 * 1024, 400, 4000);
      expect(r.ended, `cut after ${r.got} bytes although it read 64 KiB every 0.4 s`).toBe(false);
      expect(r.got).toBeGreaterThan(8 * 64 * 1024);
    });
  });

  it.concurrent('a steady uploader (64 KiB every 0.3 s, 10 times) is not cut by bodyTimeout', async () => {
    await withServer(engine, app({ n: 0 }), FAST, async (lab) => {
      const c = lab.raw();
      const piece = Buffer.alloc(64 * 1024, 0x75);
      await c.write(`POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: ${10 * piece.length}\r\n\r\n`);
      for (let i = 0; i < 10 && !c.closed; i++) {
        await new Promise((r) => setTimeout(r, 300));
        await c.write(piece).catch(() => undefined);
      }
      const [r] = await c.responses(1).catch(() => []);
      expect(r?.body.toString(), `a steady upload was cut: ${JSON.stringify(c.data.toString('latin1').slice(0, 120))}`).toBe(`ok ${10 * piece.length}`);
    });
  });

  it.concurrent('a client that never reads its (endless) response is cut by sendTimeout, and the body is closed', async () => {
    const finallies = { n: 0 };
    await withServer(engine, app(finallies), FAST, async (lab) => {
      const s = await lab.socket();
      s.pause();
      let ended = false;
      s.once('end', () => { ended = true; });
      s.once('close', () => { ended = true; });
      const t0 = performance.now();
      s.write('GET /endless HTTP/1.1\r\nHost: h\r\n\r\n');
      // The server fills the kernel buffers in milliseconds, then nothing moves for
      // sendTimeout (1 s): it must close the connection, which ends the generator.
      await eventually(() => finallies.n > 0, 'the endless body to be closed (sendTimeout)', CUT_MS).catch(() => undefined);
      const closedAfter = performance.now() - t0;
      expect(finallies.n, `generator finally not run within ${CUT_MS} ms of a client that reads nothing`).toBe(1);
      expect(closedAfter).toBeLessThan(CUT_MS);
      // Now read: what was queued arrives, then the end, and no more than the buffers held.
      let got = 0;
      s.on('data', (d: Buffer) => { got += d.length; });
      s.resume();
      await eventually(() => ended, 'the connection to end once the client reads', 3000);
      expect(got).toBeLessThan(64 * 1024 * 1024);
    });
  });
});
