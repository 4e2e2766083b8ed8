// Issue 13, streamed responses on node and uws: a client leaving while the body idles
// between chunks is noticed (the body is closed, PEP 3333 close()); each chunk is
// complete on the wire when written (RFC 9112 §7.1: chunk-size line, data, CRLF), so an
// event-stream client sees every event at once; and server.close() ends in bounded time
// with endless bodies, non-reading clients, idle keep-alive connections and slow heads.
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { bounded, client, type Client, engines, eventually, serve, TEXT } from './lab.js';

const BLOCK = Buffer.alloc(64 * 1024, 0x65);

function app(k: { finallies: number; started: number }): App {
  return (environ, startResponse) => {
    if (environ.PATH_INFO === '/sse') {
      startResponse('200 OK', [['Content-Type', 'text/event-stream']]);
      return (async function* () {
        k.started++;
        try {
          for (let i = 0; ; i++) {
            yield `data: ${i}\n\n`;
            await new Promise((r) => setTimeout(r, 400));
          }
        } finally { k.finallies++; }
      })();
    }
    if (environ.PATH_INFO === '/endless') {
      startResponse('200 OK', TEXT);
      return (async function* () { k.started++; try { for (;;) yield BLOCK; } finally { k.finallies++; } })();
    }
    startResponse('200 OK', TEXT);
    return ['hello'];
  };
}

describe.each(engines)('streamed responses on %s', (engine) => {
  it('a client leaving while the stream idles between chunks is noticed within a second', async () => {
    const k = { finallies: 0, started: 0 };
    const { port } = await serve(engine, app(k));
    const c = await client(port);
    c.socket.write('GET /sse HTTP/1.1\r\nHost: h\r\n\r\n');
    await eventually(() => c.text().includes('data: 0'), 'the first event');
    const left = performance.now();
    c.socket.destroy();
    await eventually(() => k.finallies > 0, 'the body to be closed', 2000);
    expect(performance.now() - left).toBeLessThan(1000);
  });

  const uwsLag = 'uWS v20.30 frames chunks itself and writes each chunk\'s closing CRLF with the next write; it has no raw write with backpressure to do otherwise (docs/engines.md)';
  it.skipIf(engine === 'uws')(`each chunk is complete on the wire when written${engine === 'uws' ? ` (skipped: ${uwsLag})` : ''}`, async () => {
    const k = { finallies: 0, started: 0 };
    const { port } = await serve(engine, app(k));
    const c = await client(port);
    c.socket.write('GET /sse HTTP/1.1\r\nHost: h\r\n\r\n');
    await eventually(() => c.text().includes('data: 1'), 'the second event');
    // Between events (400 ms apart) the stream ends exactly after a chunk's CRLF.
    await new Promise((r) => setTimeout(r, 100));
    expect(c.text()).toMatch(/\r\n\r\n9\r\ndata: 0\n\n\r\n9\r\ndata: 1\n\n\r\n$/);
  });

  it('server.close() ends in bounded time with endless bodies, non-readers, idle and half-sent requests', async () => {
    const k = { finallies: 0, started: 0 };
    // sendTimeout 1 s: also the grace in-flight responses get after close().
    const { server, port } = await serve(engine, app(k), { sendTimeout: 1, keepAliveTimeout: 30, headersTimeout: 30 });
    const clients: Client[] = [];
    const open = async (request: string, read = true): Promise<void> => {
      const c = await client(port, { read });
      c.socket.write(request);
      clients.push(c);
    };
    await open('GET /sse HTTP/1.1\r\nHost: h\r\n\r\n');
    await open('GET /endless HTTP/1.1\r\nHost: h\r\n\r\n');
    await open('GET /endless HTTP/1.1\r\nHost: h\r\n\r\n', false);
    await open('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    await open('GET / HTTP/1.1\r\nHost: h\r\nX-Half: ');
    await eventually(() => k.started === 3 && clients[3]!.text().endsWith('hello'), 'every client to reach its state');
    const t0 = performance.now();
    await bounded(server.close(), 8000, 'server.close()');
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(4000);
    for (const c of clients) { c.socket.on('data', () => {}); c.socket.resume(); }
    await bounded(Promise.all(clients.map((c) => c.ended)), 3000, 'every client connection to end');
    // A generator awaiting inside (the SSE one sleeps 0.4 s) runs its finally when it resumes.
    await eventually(() => k.finallies === 3, 'every endless body to be closed', 1500);
  });
});
