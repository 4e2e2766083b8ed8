// Non-reading clients (issue 13, "bounded memory per connection"): a client that
// pipelines thousands of requests and reads nothing must not make the server answer them
// all into memory. Once queued output passes the high-water mark the server stops reading
// (no more app calls) and stops pulling a streamed body; sendTimeout then cuts the client.
// We observe the server side directly: how many times the app ran (each answer is 4 KiB)
// or how many chunks a body yielded, once those counters stop moving. Bound per
// connection: the engine's high-water mark (256 KiB to a few MiB) plus what loopback's
// kernel buffers hold (tcp_wmem + tcp_rmem, up to ~10 MiB here) — far from the 160 MiB an
// unbounded server produces for 20,000 pipelined requests.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { engines, eventually, MiB, settles, TEXT, withServer } from './common.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ANSWER = Buffer.alloc(4096, 0x61);
const REQUEST = 'GET /a HTTP/1.1\r\nHost: h\r\n\r\n';
const PER_CONNECTION_BOUND = 16 * MiB;
/** 20,000 pipelined requests: 80 MiB of answers from an unbounded server. */
const PIPELINED = 20_000;

function app(counts: { calls: number; pulled: number; finallies: number }): App {
  return (environ, startResponse) => {
    startResponse('200 OK', TEXT);
    if (environ.PATH_INFO === '/endless') {
      return (async function* () {
        try { for (;;) { counts.pulled += ANSWER.length; yield ANSWER; } } finally { counts.finallies++; }
      })();
    }
    counts.calls++;
    return [ANSWER];
  };
}

const rss = (): number => { gc(); gc(); return process.memoryUsage().rss; };
/** What is alive after a full GC: JS heap plus Buffers and other external memory. */
const live = (): number => { gc(); gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; };

describe.each(engines)('non-reading clients on %s', (engine) => {
  it.concurrent('a non-reading pipeliner: the server stops reading and calling the app', async () => {
    const counts = { calls: 0, pulled: 0, finallies: 0 };
    await withServer(engine, app(counts), { sendTimeout: 30 }, async (lab) => {
      const s = await lab.socket();
      s.pause();
      s.write(REQUEST.repeat(PIPELINED));
      const calls = await settles(() => counts.calls, 750, 10_000);
      expect(calls, 'app called at least once').toBeGreaterThan(0);
      expect(calls * ANSWER.length, `${calls} answers of 4 KiB queued for a client that reads nothing`).toBeLessThan(PER_CONNECTION_BOUND);
    });
  });

  it.concurrent('a non-reading client of an endless body: the server stops pulling the body', async () => {
    const counts = { calls: 0, pulled: 0, finallies: 0 };
    await withServer(engine, app(counts), { sendTimeout: 30 }, async (lab) => {
      const s = await lab.socket();
      s.pause();
      s.write('GET /endless HTTP/1.1\r\nHost: h\r\n\r\n');
      const pulled = await settles(() => counts.pulled, 750, 10_000);
      expect(pulled).toBeGreaterThan(0);
      expect(pulled, `${(pulled / MiB).toFixed(1)} MiB pulled from the body for a client that reads nothing`).toBeLessThan(PER_CONNECTION_BOUND);
    });
  });

  it.concurrent('a non-reading pipeliner of uploads (64 KiB bodies): the server stops reading them', async () => {
    const counts = { calls: 0, pulled: 0, finallies: 0 };
    await withServer(engine, app(counts), { sendTimeout: 30 }, async (lab) => {
      const s = await lab.socket();
      s.pause();
      const body = Buffer.alloc(64 * 1024, 0x75);
      const one = Buffer.concat([Buffer.from(`POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
      // 2,000 uploads (128 MiB) written as the socket takes them: a server that keeps
      // reading (and answering into memory) takes them all.
      let written = 0;
      const pump = (): void => { while (written < 2000 && s.write(one)) written++; if (written < 2000) s.once('drain', () => { written++; pump(); }); };
      pump();
      const calls = await settles(() => counts.calls, 750, 15_000);
      expect(calls * ANSWER.length, `${calls} uploads answered for a client that reads nothing`).toBeLessThan(PER_CONNECTION_BOUND);
      expect(written, 'the server stopped reading: the client could not write everything').toBeLessThan(2000);
    });
  });

  it.concurrent('sendTimeout cuts a non-reading pipeliner; what it then reads is bounded', async () => {
    const counts = { calls: 0, pulled: 0, finallies: 0 };
    await withServer(engine, app(counts), { sendTimeout: 1 }, async (lab) => {
      const s = await lab.socket();
      s.pause();
      let ended = false;
      s.once('end', () => { ended = true; });
      s.once('close', () => { ended = true; });
      s.write(REQUEST.repeat(PIPELINED));
      await settles(() => counts.calls, 750, 10_000);
      // The server has been blocked on this client for 0.75 s at least; 2.5 s more puts it
      // past sendTimeout (1 s) and its 1 s timer granularity. Then read everything.
      await new Promise((r) => setTimeout(r, 2500));
      let got = 0;
      s.on('data', (d: Buffer) => { got += d.length; });
      s.resume();
      await eventually(() => ended, 'the connection to end once the client reads', 4000).catch(() => undefined);
      expect(ended, `still open after reading ${(got / MiB).toFixed(1)} MiB (app calls ${counts.calls} of ${PIPELINED}): not cut by sendTimeout`).toBe(true);
      expect(got).toBeLessThan(PER_CONNECTION_BOUND);
      expect(counts.calls).toBeLessThan(PIPELINED);
    });
  });

  it('a crowd of 24 non-reading clients moves RSS by at most limits x connections', async () => {
    const counts = { calls: 0, pulled: 0, finallies: 0 };
    const CROWD = 24;
    await withServer(engine, app(counts), { sendTimeout: 30 }, async (lab) => {
      // Warm up (engine buffers, JIT) before the baseline.
      for (let i = 0; i < 3; i++) {
        const w = lab.raw();
        await w.write(REQUEST.repeat(50));
        await w.responses(50);
        w.close();
      }
      const before = rss();
      const liveBefore = live();
      const crowd = await Promise.all(Array.from({ length: CROWD }, () => lab.socket()));
      crowd.forEach((s, i) => {
        s.pause();
        s.write(i % 3 === 2 ? 'GET /endless HTTP/1.1\r\nHost: h\r\n\r\n' : REQUEST.repeat(8000));
      });
      await settles(() => counts.calls + counts.pulled, 1000, 15_000);
      const held = live() - liveBefore;
      const grew = rss() - before;
      const produced = counts.calls * ANSWER.length + counts.pulled;
      const figures = `live memory +${(held / MiB).toFixed(1)} MiB, RSS +${(grew / MiB).toFixed(1)} MiB for ${CROWD} non-reading clients (${(produced / MiB).toFixed(1)} MiB of answers produced)`;
      // What the server holds for them (live after GC): per connection its input limit and
      // output high-water mark, 2 MiB at most, plus 16 MiB of slack. RSS also keeps what
      // the allocator did not return after the answers went to the kernel, so it gets 4 MiB
      // per connection and 64 MiB of slack; an unbounded server moves it by ~500 MiB here.
      expect(held, figures).toBeLessThan(CROWD * 2 * MiB + 16 * MiB);
      expect(grew, figures).toBeLessThan(CROWD * 4 * MiB + 64 * MiB);
      expect(produced, `answers produced for ${CROWD} clients that read nothing`).toBeLessThan(CROWD * PER_CONNECTION_BOUND);
    });
  });
});
