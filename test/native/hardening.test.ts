// Issue 13 on the native engine: every timer measures progress, memory per connection is
// bounded by configured limits, no bytes cross requests, nothing an application callback
// throws reaches the process, and shutdown ends in bounded time. Real sockets, raw bytes.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RawConnection } from '../helpers/raw-http.js';
import { ConnectionToken, type Exchange } from '../../src/contract.js';
import { echoTarget, head, logLines, startNative } from './native-helpers.js';

const H = 'Host: a\r\n';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `bytes` one at a time, `everyMs` apart, until the connection closes. */
function dribble(c: RawConnection, bytes: string, everyMs: number): () => void {
  let i = 0;
  const timer = setInterval(() => {
    if (c.closed) return;
    c.socket.write(bytes[i % bytes.length]!);
    i++;
  }, everyMs);
  return () => clearInterval(timer);
}

async function closedWithin(c: RawConnection, ms: number): Promise<number> {
  const started = Date.now();
  await c.waitClosed(ms);
  return Date.now() - started;
}

describe('native engine: timers measure progress', () => {
  it('empty lines sent a byte at a time do not keep a connection past keepAliveTimeout', async () => {
    // RFC 9112 §2.2 lets a server ignore CRLF before a request; each CR and LF flipped
    // the old engine between its head and idle timers, re-arming one each time.
    const server = await startNative(echoTarget, { keepAliveTimeout: 1, headersTimeout: 30 });
    const c = new RawConnection(server.port);
    await c.write('\r');
    const stop = dribble(c, '\n\r', 150);
    try {
      expect(await closedWithin(c, 4000)).toBeLessThan(3000);
    } finally {
      stop();
    }
  });

  it('the head deadline runs from the first byte; later bytes of the head never move it', async () => {
    const server = await startNative(echoTarget, { keepAliveTimeout: 30, headersTimeout: 1 });
    const c = new RawConnection(server.port);
    await c.write('G');
    const stop = dribble(c, 'ET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 100);
    try {
      expect(await closedWithin(c, 4000)).toBeLessThan(3000);
    } finally {
      stop();
    }
    expect(c.data.toString()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('chunk extensions dribbled a byte at a time are not body progress (bodyTimeout)', async () => {
    let aborted = false;
    const server = await startNative((ex) => {
      ex.onAborted(() => { aborted = true; });
      ex.readBody(() => {});
    }, { bodyTimeout: 1 });
    const c = new RawConnection(server.port);
    await c.write(`POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;`);
    const stop = dribble(c, 'abcdefghijklmnopqrstuvwxyz', 100);
    try {
      expect(await closedWithin(c, 4000)).toBeLessThan(3000);
    } finally {
      stop();
    }
    // The client saw our FIN; the engine reports the close when the client's arrives.
    for (let i = 0; i < 50 && !aborted; i++) await sleep(20);
    expect(aborted).toBe(true);
  });

  it('a body that keeps bringing bytes (1 KiB per bodyTimeout at least) is not cut', async () => {
    let total = 0;
    const server = await startNative((ex) => {
      ex.readBody((chunk, last) => {
        total += chunk.length;
        if (last) {
          ex.writeHead(head('200 OK', 2));
          ex.end('ok');
        }
      });
    }, { bodyTimeout: 1 });
    const c = new RawConnection(server.port);
    await c.write(`POST / HTTP/1.1\r\n${H}Content-Length: 20480\r\n\r\n`);
    for (let i = 0; i < 10; i++) {
      await sleep(250);
      await c.write(Buffer.alloc(2048, 0x61));
    }
    const [r] = await c.responses(1);
    expect(r!.status).toBe(200);
    expect(total).toBe(20480);
    c.close();
  });

  it('a body dribbled a byte at a time is cut by bodyTimeout (408)', async () => {
    const server = await startNative((ex) => ex.readBody(() => {}), { bodyTimeout: 1 });
    const c = new RawConnection(server.port);
    await c.write(`POST / HTTP/1.1\r\n${H}Content-Length: 100000\r\n\r\n`);
    const stop = dribble(c, 'b', 200);
    try {
      expect(await closedWithin(c, 4000)).toBeLessThan(3000);
    } finally {
      stop();
    }
    expect(c.data.toString()).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe('native engine: a client that never reads', () => {
  it('stops reading its pipelined requests above the high-water mark, then sendTimeout resets it', async () => {
    let handled = 0;
    let aborted = 0;
    const body = 'x'.repeat(4096);
    const server = await startNative((ex) => {
      handled++;
      ex.onAborted(() => { aborted++; });
      ex.writeHead(head('200 OK', body.length));
      ex.end(body);
    }, { sendTimeout: 1 });
    const socket = connect(server.port, '127.0.0.1');
    socket.pause(); // never read a response
    await new Promise((resolve) => socket.once('connect', resolve));
    const batch = Buffer.from(`GET / HTTP/1.1\r\n${H}\r\n`.repeat(256));
    let closed = false;
    socket.on('error', () => {});
    socket.on('close', () => { closed = true; });
    // Write as fast as the kernel takes it, until the server stops reading (the
    // socket buffers fill) or closes.
    const pump = async (): Promise<void> => {
      while (!closed) {
        if (!socket.write(batch)) await Promise.race([new Promise((r) => socket.once('drain', r)), sleep(200)]);
      }
    };
    void pump();
    await sleep(1500);
    const first = handled;
    // The kernel buffers on both sides hold some MB; beyond them nothing is parsed.
    expect(first).toBeLessThan(20000);
    // No progress for sendTimeout (1 s, checked on the 1 s tick): reset.
    const started = Date.now();
    while (!closed && Date.now() - started < 5000) await sleep(50);
    expect(closed).toBe(true);
    expect(handled).toBeLessThan(20000);
    socket.destroy();
  });

  it('server.close() ends in bounded time when a non-reading client has output pending', async () => {
    let closedBody = false;
    const server = await startNative((ex) => {
      // An endless stream: write until write() says false, resume on onWritable.
      ex.writeHead(head('200 OK', -1, { framing: 1 }));
      ex.onAborted(() => { closedBody = true; });
      const chunk = 'y'.repeat(16384);
      const pump = (): void => {
        while (ex.write(chunk)) { /* fill */ }
        ex.onWritable(pump);
      };
      pump();
    }, { sendTimeout: 1 });
    const c = new RawConnection(server.port);
    c.socket.pause();
    await c.write(`GET / HTTP/1.1\r\n${H}\r\n`);
    await sleep(300);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(4000);
    expect(closedBody).toBe(true);
    c.close();
  });
});

describe('native engine: output held behind a slow response', () => {
  it('exchanges waiting behind the front one hold at most 256 KiB per connection in all', async () => {
    let release!: () => void;
    const accepted: number[] = [];
    const chunk = new Uint8Array(16 * 1024).fill(0x61);
    const server = await startNative((ex) => {
      if (ex.head.target === '/slow') {
        ex.writeHead(head('200 OK', 2));
        release = () => ex.end('ok');
        return;
      }
      // Behind /slow: write while write() says yes, then end once it is our turn.
      ex.writeHead(head('200 OK', -1, { framing: 1 }));
      let n = 0;
      while (n < 8 * 1024 * 1024 && ex.write(chunk)) n += chunk.length;
      accepted.push(n);
      ex.end();
    });
    const c = new RawConnection(server.port);
    await c.write(`GET /slow HTTP/1.1\r\n${H}\r\n` + `GET /held HTTP/1.1\r\n${H}\r\n`.repeat(8));
    const deadline = Date.now() + 3000;
    while (accepted.length < 8 && Date.now() < deadline) await sleep(10);
    expect(accepted.length).toBe(8);
    const total = accepted.reduce((a, b) => a + b, 0);
    // 64 KiB per exchange would allow 512 KiB; the connection's bound is 256 KiB.
    expect(total).toBeLessThanOrEqual(256 * 1024);
    release();
    const responses = await c.responses(9);
    expect(responses.map((r) => r.status)).toEqual(Array(9).fill(200));
    c.close();
  });
});

describe('native engine: a client that leaves while a stream is idle', () => {
  async function idleStream(how: 'fin' | 'rst', requestClose: boolean): Promise<number> {
    let abortedAt = 0;
    let started!: () => void;
    const streaming = new Promise<void>((resolve) => (started = resolve));
    const server = await startNative((ex) => {
      ex.writeHead(head('200 OK', -1, { framing: 1, connection: requestClose ? ConnectionToken.Close : ConnectionToken.Default }));
      ex.write('first chunk');
      ex.onAborted(() => { abortedAt = Date.now(); });
      started();
      // ... and nothing more for a long time.
    });
    const c = new RawConnection(server.port);
    await c.write(`GET / HTTP/1.1\r\n${H}${requestClose ? 'Connection: close\r\n' : ''}\r\n`);
    await streaming;
    await c.until((x) => x.data.includes('first chunk'));
    const left = Date.now();
    if (how === 'fin') c.socket.end();
    else c.socket.resetAndDestroy();
    const deadline = Date.now() + 4000;
    while (!abortedAt && Date.now() < deadline) await sleep(20);
    expect(abortedAt).toBeGreaterThan(0);
    c.close();
    return abortedAt - left;
  }

  it('FIN: onAborted runs within about a second', async () => {
    expect(await idleStream('fin', false)).toBeLessThan(1800);
  });
  it('RST: onAborted runs at once', async () => {
    expect(await idleStream('rst', false)).toBeLessThan(500);
  });
  it('FIN after a request with "Connection: close" (not reading): within about a second', async () => {
    expect(await idleStream('fin', true)).toBeLessThan(1800);
  });
  it('RST after a request with "Connection: close" (not reading): within about a second', async () => {
    expect(await idleStream('rst', true)).toBeLessThan(1800);
  });

  it('a half-closed client still gets the answers to a pipelined batch', async () => {
    const server = await startNative(echoTarget);
    const c = new RawConnection(server.port);
    await c.write(`GET /a HTTP/1.1\r\n${H}\r\nGET /b HTTP/1.1\r\n${H}\r\nGET /c HTTP/1.1\r\n${H}\r\n`);
    c.socket.end();
    const responses = await c.responses(3);
    expect(responses.map((r) => r.body.toString())).toEqual(['GET /a', 'GET /b', 'GET /c']);
  });
});

describe('native engine: no bytes cross requests', () => {
  it('a head read after its dispatch returned throws TSGI_ERR_HEAD_EXPIRED, never other bytes', async () => {
    const retained: Exchange[] = [];
    const seen: string[] = [];
    let other!: Socket;
    const server = await startNative((ex) => {
      if (ex.head.target === '/keep') {
        retained.push(ex);
        // Another connection's bytes arrive while the head is retained.
        other.write(`GET /other-${'z'.repeat(200)} HTTP/1.1\r\n${H}X-Secret: other-request\r\n\r\n`);
        setImmediate(() => {
          for (const read of [() => ex.head.target, () => ex.head.header('x-secret'), () => ex.head.headerName(0)]) {
            try {
              seen.push(String(read()));
            } catch (error) {
              seen.push((error as Error).message.slice(0, 22));
            }
          }
          ex.writeHead(head('200 OK', 2));
          ex.end('ok');
        });
        return;
      }
      echoTarget(ex);
    });
    other = connect(server.port, '127.0.0.1');
    other.on('error', () => {});
    await new Promise((resolve) => other.once('connect', resolve));
    const c = new RawConnection(server.port);
    await c.write(`GET /keep HTTP/1.1\r\n${H}X-Secret: mine\r\n\r\n`);
    await c.responses(1);
    expect(seen).toEqual(['/keep', 'TSGI_ERR_HEAD_EXPIRED:', 'TSGI_ERR_HEAD_EXPIRED:']);
    other.destroy();
    c.close();
  });

  it('REMOTE_ADDR is the peer address even when the event area fills at a kEventOpen', async () => {
    // Before ABI 4 the address was copied into the input area; when reserving its record
    // forced a dispatch (event area full), the next read of the same poll phase landed
    // on it. Crafted for the 64 Ki-int event area and 128 requests in flight: B1 and B2
    // fill the area to 4 ints short of full (with the 6-int open record of ABI 3), so A's
    // open forces the dispatch and C's read follows in the same poll phase.
    const addresses: string[] = [];
    const server = await startNative((ex) => {
      if (ex.head.target === '/a') addresses.push(ex.head.remoteAddress);
      echoTarget(ex);
    });
    const open = (): Promise<Socket> => new Promise((resolve) => {
      const s = connect(server.port, '127.0.0.1', () => resolve(s));
      s.on('error', () => {});
      s.on('data', () => {});
    });
    const [b1, b2, a, c] = [await open(), await open(), await open(), await open()];
    await sleep(50); // the server accepted all four
    const fat = `GET /b HTTP/1.1\r\n${H}${'a:\r\n'.repeat(99)}\r\n`; // 100 fields: 412 ints
    // All writes go out synchronously: the server reads them in one poll phase, in order.
    b1.write(fat.repeat(128));
    b2.write(fat.repeat(31) + 'GET /b HTTP/1.0\r\n\r\n');
    a.write(`GET /a HTTP/1.1\r\n${H}\r\n`);
    c.write(`GET /c-${'c'.repeat(64)} HTTP/1.1\r\n${H}\r\n`);
    const deadline = Date.now() + 3000;
    while (addresses.length < 1 && Date.now() < deadline) await sleep(10);
    expect(addresses).toEqual(['127.0.0.1']);
    for (const s of [b1, b2, a, c]) s.destroy();
  });

  it('an absolute-form target whose authority is not a valid host gets 400', async () => {
    const server = await startNative(echoTarget);
    const c = new RawConnection(server.port);
    await c.write(`GET http://"><script>/ HTTP/1.1\r\n${H}\r\n`);
    const [r] = await c.responses(1);
    expect(r!.status).toBe(400);
  });
});

describe('native engine: exceptions stay between engine and application', () => {
  it('a throwing onWritable, sendFile or onAborted callback is logged and closes only its connection', async () => {
    const logStart = logLines.length;
    const server = await startNative((ex) => {
      if (ex.head.target === '/writable') {
        ex.writeHead(head('200 OK', -1, { framing: 1 }));
        ex.write('a');
        ex.onWritable(() => { throw new Error('boom writable'); });
        return;
      }
      if (ex.head.target === '/aborted') {
        ex.writeHead(head('200 OK', -1, { framing: 1 }));
        ex.write('a');
        ex.onAborted(() => { throw new Error('boom aborted'); });
        return;
      }
      echoTarget(ex);
    });
    const a = new RawConnection(server.port);
    await a.write(`GET /writable HTTP/1.1\r\n${H}\r\n`);
    await a.waitClosed(3000);
    const b = new RawConnection(server.port);
    await b.write(`GET /aborted HTTP/1.1\r\n${H}\r\n`);
    await b.until((x) => x.data.length > 0);
    b.socket.resetAndDestroy();
    await sleep(200);
    // The server still answers.
    const c = new RawConnection(server.port);
    await c.write(`GET /fine HTTP/1.1\r\n${H}\r\n`);
    const [r] = await c.responses(1);
    expect(r!.body.toString()).toBe('GET /fine');
    const logged = logLines.slice(logStart).join('\n');
    expect(logged).toContain('boom writable');
    expect(logged).toContain('boom aborted');
    c.close();
  });
});
