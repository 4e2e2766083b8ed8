// Endless bodies (issue 13): HEAD on a streamed or endless body is answered promptly and
// the body's return()/finally runs; a client that disconnects while a streamed response
// idles between chunks has its body closed within ~1.5 s; and `await server.close()`
// ends in bounded time with endless (SSE-like) bodies, HEAD on endless bodies,
// non-reading clients and slow clients connected.
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { App, Body } from '../../src/types.js';

import { engines, eventually, FAST, TEXT, withServer, type Lab } from './common.js';

const CLOSE_WITHIN_MS = 1500;
const SHUTDOWN_BOUND_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Counters { finallies: number; closes: number; closedAt: number[] }

function app(k: Counters): App {
  return (environ, startResponse) => {
    const path = environ.PATH_INFO;
    if (path === '/healthy') { startResponse('200 OK', TEXT); return ['healthy']; }
    startResponse('200 OK', [['Content-Type', 'text/event-stream']]);
    const done = () => { k.finallies++; k.closedAt.push(performance.now()); };
    if (path === '/endless-sync') return (function* () { try { for (;;) yield 'data: x\n\n'; } finally { done(); } })();
    if (path === '/sse') return (async function* () { try { for (let i = 0; ; i++) { yield `data: ${i}\n\n`; await sleep(100); } } finally { done(); } })();
    if (path === '/idle') return (async function* () { try { yield 'data: first\n\n'; for (;;) { await sleep(500); yield 'data: tick\n\n'; } } finally { done(); } })();
    if (path === '/stuck') {
      // An async iterable whose next() stays pending (an event that never comes); only
      // close() can tell it the client left.
      let sent = false;
      return {
        [Symbol.asyncIterator]: () => ({
          next: () => (sent ? new Promise(() => {}) : (sent = true, Promise.resolve({ value: 'data: first\n\n', done: false }))),
        }),
        close: () => { k.closes++; k.closedAt.push(performance.now()); },
      } as unknown as Body;
    }
    return (async function* () { try { for (;;) yield 'data: x\n\n'; } finally { done(); } })(); // /endless
  };
}

const counters = (): Counters => ({ finallies: 0, closes: 0, closedAt: [] });

describe.each(engines)('endless bodies on %s', (engine) => {
  it.concurrent.each(['/endless', '/endless-sync', '/sse'])('HEAD %s is answered promptly, the body is ended, the connection serves on', async (path) => {
    const k = counters();
    await withServer(engine, app(k), {}, async (lab) => {
      const c = lab.raw();
      const t0 = performance.now();
      await c.write(`HEAD ${path} HTTP/1.1\r\nHost: h\r\n\r\n`);
      const [r] = await c.responses(1, ['HEAD']);
      expect(performance.now() - t0, 'HEAD answered within 1 s').toBeLessThan(1000);
      expect(r?.status).toBe(200);
      await eventually(() => k.finallies > 0, 'the endless body\'s finally after HEAD', CLOSE_WITHIN_MS).catch(() => undefined);
      expect(k.finallies, 'return()/finally ran after HEAD').toBe(1);
      // Only the head was sent, so the same connection carries the next request.
      if (!c.closed) {
        await c.write('GET /healthy HTTP/1.1\r\nHost: h\r\n\r\n');
        const rs = await c.responses(2, ['HEAD', 'GET']);
        expect(rs[1]?.body.toString()).toBe('healthy');
        expect(rs[0]?.body.length, 'no body bytes after a HEAD head').toBe(0);
      }
    });
  });

  it.concurrent.each([
    ['an async generator sleeping between chunks', '/idle', 'finallies'],
    ['an async iterable whose next() never settles', '/stuck', 'closes'],
  ] as const)('a client leaving while %s idles has the body closed within 1.5 s', async (_what, path, counter) => {
    const k = counters();
    await withServer(engine, app(k), {}, async (lab) => {
      const c = lab.raw();
      await c.write(`GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`);
      await c.until((x) => x.data.includes('data: first'));
      const left = performance.now();
      c.close();
      await eventually(() => k[counter] > 0, `close of ${path} after the client left`, 4000).catch(() => undefined);
      expect(k[counter], `body not closed within 4 s of the disconnect`).toBe(1);
      expect(k.closedAt[0]! - left).toBeLessThan(CLOSE_WITHIN_MS);
    });
  });

  /** Each kind of client that makes shutdown hard; returns its socket. */
  const HARD: [string, (lab: Lab) => Promise<Socket>][] = [
    ['an SSE reader', async (lab) => { const s = await lab.socket(); s.on('data', () => {}); s.write('GET /sse HTTP/1.1\r\nHost: h\r\n\r\n'); return s; }],
    ['HEAD on an endless body, then idle', async (lab) => { const s = await lab.socket(); s.on('data', () => {}); s.write('HEAD /endless HTTP/1.1\r\nHost: h\r\n\r\n'); return s; }],
    ['a non-reading client of an endless body', async (lab) => { const s = await lab.socket(); s.pause(); s.write('GET /endless HTTP/1.1\r\nHost: h\r\n\r\n'); return s; }],
    ['a slow head (one byte per 0.3 s)', async (lab) => {
      const s = await lab.socket(); s.on('data', () => {});
      s.write('GET /healthy HTTP/1.1\r\nHost: h\r\nX-Slow: ');
      const t = setInterval(() => { if (s.destroyed) clearInterval(t); else s.write('a'); }, 300);
      s.once('close', () => clearInterval(t));
      return s;
    }],
    ['a slow body (one byte per 0.3 s)', async (lab) => {
      const s = await lab.socket(); s.on('data', () => {});
      s.write('POST /healthy HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n');
      const t = setInterval(() => { if (s.destroyed) clearInterval(t); else s.write('b'); }, 300);
      s.once('close', () => clearInterval(t));
      return s;
    }],
    ['a non-reading pipeliner (2,000 requests queued)', async (lab) => { const s = await lab.socket(); s.pause(); s.write('GET /healthy HTTP/1.1\r\nHost: h\r\n\r\n'.repeat(2000)); return s; }],
    ['an idle keep-alive connection', async (lab) => { const s = await lab.socket(); s.on('data', () => {}); s.write('GET /healthy HTTP/1.1\r\nHost: h\r\n\r\n'); return s; }],
  ];

  const shutdownCases: [string, number[]][] = [
    ...HARD.map(([name], i) => [name, [i]] as [string, number[]]),
    ['all of them, five of each', HARD.flatMap((_, i) => [i, i, i, i, i])],
  ];

  it.concurrent.each(shutdownCases)('server.close() ends within 10 s with %s', async (_name, which) => {
    const k = counters();
    await withServer(engine, app(k), FAST, async (lab) => {
      const sockets = await Promise.all(which.map((i) => HARD[i]![1](lab)));
      const ended = sockets.map(() => false);
      sockets.forEach((s, i) => { s.once('end', () => { ended[i] = true; }); s.once('close', () => { ended[i] = true; }); });
      // Let each client reach its state: a response under way or a head/body half sent.
      await sleep(400);
      const ms = await lab.close(SHUTDOWN_BOUND_MS + 1000).catch((e: Error) => { throw new Error(`${e.message} (bound ${SHUTDOWN_BOUND_MS} ms)`); });
      expect(ms, 'server.close() duration').toBeLessThan(SHUTDOWN_BOUND_MS);
      // Every client is let go (paused ones cannot see the FIN until they read: resume).
      sockets.forEach((s) => s.resume());
      await eventually(() => ended.every(Boolean), 'every client connection to end after close()', 3000).catch(() => undefined);
      expect(ended.filter((e) => !e).length, 'client connections still open after close() resolved').toBe(0);
      const started = which.filter((i) => i <= 2).length; // SSE, HEAD endless, non-reading endless
      await eventually(() => k.finallies >= started, 'every endless body to end', CLOSE_WITHIN_MS).catch(() => undefined);
      expect(k.finallies, 'every endless body ended (return()/finally ran)').toBe(started);
    });
  });
});

