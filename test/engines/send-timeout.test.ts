// Issue 13, bounded memory per connection: once output queues past the high-water mark
// write() returns false and the gateway stops pulling (PEP 3333 "Buffering and
// Streaming"); a client that then accepts no bytes for sendTimeout is disconnected,
// while a slow client that keeps reading is not.
import { describe, expect, it } from 'vitest';
import { ConnectionToken, Framing, type Exchange } from '../../src/contract.js';
import type { App } from '../../src/types.js';
import { bounded, client, engines, eventually, listenEngine, MiB, serve, TEXT } from './lab.js';

const BLOCK = Buffer.alloc(64 * 1024, 0x65);

function endless(counts: { pulled: number; finallies: number }): App {
  return (environ, startResponse) => {
    startResponse('200 OK', TEXT);
    if (environ.PATH_INFO === '/small') return [Buffer.alloc(4096, 0x61)];
    return (async function* () {
      try { for (;;) { counts.pulled += BLOCK.length; yield BLOCK; } } finally { counts.finallies++; }
    })();
  };
}

describe.each(engines)('sendTimeout and backpressure on %s', (engine) => {
  it('write() returns false once output is queued, and onWritable comes when the client reads', async () => {
    let accepted = 0;
    let refused = false;
    let writable = false;
    const lab = await listenEngine(engine, (ex: Exchange) => {
      ex.writeHead({ status: '200 OK', headers: [], framing: Framing.Chunked, contentLength: -1, connection: ConnectionToken.Default, noBody: false, hasDate: false, ascii: true });
      const pump = (): void => {
        while (accepted < 256 * MiB) {
          accepted += BLOCK.length;
          if (!ex.write(BLOCK)) { refused = true; ex.onWritable(() => { writable = true; }); return; }
        }
      };
      pump();
    });
    const c = await client(lab.port, { read: false });
    c.socket.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    await eventually(() => refused, 'write() to return false');
    // Kernel buffers (a few MiB on loopback) plus one high-water mark, nowhere near 256 MiB.
    expect(accepted).toBeLessThan(32 * MiB);
    c.socket.on('data', () => {});
    c.socket.resume();
    await eventually(() => writable, 'onWritable once the client reads', 3000);
  });

  it('a client that reads nothing of an endless body is cut after sendTimeout, and the body is closed', async () => {
    const counts = { pulled: 0, finallies: 0 };
    const { port } = await serve(engine, endless(counts), { sendTimeout: 1 });
    const c = await client(port, { read: false });
    const t0 = performance.now();
    c.socket.write('GET /endless HTTP/1.1\r\nHost: h\r\n\r\n');
    await eventually(() => counts.finallies > 0, 'the body to be closed', 4000);
    // 1 s of no progress, checked every 0.25 s, after the buffers filled.
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(performance.now() - t0).toBeGreaterThan(900);
    expect(counts.pulled).toBeLessThan(32 * MiB);
    c.socket.on('data', () => {});
    c.socket.resume();
    await bounded(c.ended, 3000, 'the connection to end');
  });

  it('a slow client that keeps taking bytes is never cut by sendTimeout', async () => {
    const counts = { pulled: 0, finallies: 0 };
    const { port } = await serve(engine, endless(counts), { sendTimeout: 1 });
    const c = await client(port, { read: false });
    c.socket.write('GET /endless HTTP/1.1\r\nHost: h\r\n\r\n');
    let got = 0;
    c.socket.on('data', (d: Buffer) => { got += d.length; });
    c.socket.pause();
    // Reads for 20 ms every 0.3 s, for 3 s: mostly stalled, but progress in every window
    // of sendTimeout (1 s).
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 300));
      c.socket.resume();
      await new Promise((r) => setTimeout(r, 20));
      c.socket.pause();
    }
    expect(c.isEnded()).toBe(false);
    expect(counts.finallies).toBe(0);
    expect(got).toBeGreaterThan(1 * MiB);
  });

  it('a pipelining client that reads nothing: the app stops being called, then sendTimeout cuts it', async () => {
    const counts = { pulled: 0, finallies: 0 };
    let calls = 0;
    const app = endless(counts);
    const { port } = await serve(engine, (environ, sr) => { calls++; return app(environ, sr); }, { sendTimeout: 1 });
    const c = await client(port, { read: false });
    c.socket.write('GET /small HTTP/1.1\r\nHost: h\r\n\r\n'.repeat(20_000));
    await eventually(() => calls > 0, 'the first answers');
    // A paused client cannot see the server's close: wait past sendTimeout (1 s, checked
    // every 0.25 s), then read. Not cut, it would read every answer and stay open.
    await new Promise((r) => setTimeout(r, 2500));
    // Each answer is 4 KiB: all 20,000 would be 80 MiB queued for this one client.
    expect(calls * 4096).toBeLessThan(16 * MiB);
    c.socket.on('data', () => {});
    c.socket.resume();
    await bounded(c.ended, 3000, 'the connection to end once the client reads');
    expect(calls).toBeLessThan(20_000);
  });
});
