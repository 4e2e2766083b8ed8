// Slow clients: one that reads slowly, one that uploads a byte at a time, one that sends
// its head a byte at a time. Time itself is the subject here, so these tests pause on
// purpose (a few seconds in all). Meanwhile other clients must be answered promptly,
// the server must pull the slow response only as the socket drains (no unbounded
// buffering), and memory must stay bounded.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { exchangeRaw, RawConnection, parseResponses } from '../helpers/raw-http.js';
import { engines, memoryLogger, start } from '../helpers/server.js';
import { liveMemory } from './harness.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x64);
const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

function app(produced: { chunks: number }): App {
  return (environ, startResponse) => {
    if (environ.PATH_INFO === '/huge') {
      startResponse('200 OK', TEXT);
      // 64 MiB, pulled chunk by chunk as the socket drains.
      return (async function* () { for (let i = 0; i < 1024; i++) { produced.chunks++; yield CHUNK; } })();
    }
    const body = environ['wsgi.input'].read();
    startResponse('200 OK', TEXT);
    return [`ok ${body.length}`];
  };
}

/** Ten quick requests from other clients; each must be answered well within `ms`. */
async function othersServed(port: number, ms: number): Promise<number> {
  let worst = 0;
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const { responses } = await exchangeRaw(port, 'GET /quick HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    worst = Math.max(worst, performance.now() - t0);
    expect(responses[0]?.body.toString()).toBe('ok 0');
  }
  expect(worst).toBeLessThan(ms);
  return worst;
}

describe.each(engines)('slow clients on %s', (engine) => {
  it('a slow reader does not stall others, and the response is pulled only as it drains', async () => {
    const produced = { chunks: 0 };
    const server = await start(app(produced), engine, { logger: memoryLogger() });
    // A paused socket read with read(64): node buffers at most its highWaterMark, the
    // kernel's buffers fill, and the server's writes must then wait for room.
    const slow = connect(server.port, '127.0.0.1');
    await new Promise<void>((r) => slow.once('connect', () => r()));
    slow.pause();
    slow.write('GET /huge HTTP/1.1\r\nHost: h\r\n\r\n');
    let read = 0;
    const memBefore = liveMemory();
    let atHalfSecond = 0;
    for (let i = 0; i < 20; i++) {
      await sleep(100);
      read += (slow.read(64) as Buffer | null)?.length ?? 0;
      if (i === 4) atHalfSecond = produced.chunks;
    }
    await othersServed(server.port, 500);
    expect(read).toBeGreaterThan(0);
    // Backpressure: once the socket buffers are full the producer stops; it advanced by
    // at most a few chunks in the last 1.5 s, far from the 1024 an unbounded server pulls.
    expect(produced.chunks - atHalfSecond).toBeLessThan(16);
    expect(produced.chunks).toBeLessThan(512);
    expect(liveMemory() - memBefore).toBeLessThan(16 * 1024 * 1024);
    slow.destroy();
  });

  it('a slow uploader does not stall others, and its request completes', async () => {
    const server = await start(app({ chunks: 0 }), engine, { logger: memoryLogger() });
    const body = 'x'.repeat(20);
    const slow = new RawConnection(server.port);
    slow.socket.setNoDelay(true);
    await slow.write(`POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n`);
    const uploading = (async () => {
      for (const ch of body) { await slow.write(ch); await sleep(50); }
    })();
    await othersServed(server.port, 500);
    await uploading;
    const [response] = await slow.responses(1);
    expect(response?.body.toString()).toBe('ok 20');
    slow.close();
  });

  it('a client sending its head a byte at a time does not stall others', async () => {
    const server = await start(app({ chunks: 0 }), engine, { logger: memoryLogger() });
    const head = 'GET /slow-head HTTP/1.1\r\nHost: h\r\n\r\n';
    const slow = new RawConnection(server.port);
    slow.socket.setNoDelay(true);
    const sending = (async () => {
      for (const ch of head) { await slow.write(ch); await sleep(25); }
    })();
    await othersServed(server.port, 500);
    await sending;
    await slow.until((c) => parseResponses(c.data, [], c.closed).responses.length > 0);
    expect(parseResponses(slow.data).responses[0]?.body.toString()).toBe('ok 0');
    slow.close();
  });
});
