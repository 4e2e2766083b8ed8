// Timeouts (slowloris, keep-alive idle), graceful close, abort, backpressure, sendfile.
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RawConnection } from '../helpers/raw-http.js';
import type { Exchange } from '../../src/contract.js';
import { echoBody, echoTarget, head, startNative } from './native-helpers.js';

const H = 'Host: a\r\n';

describe('native engine: timeouts', () => {
  it('answers 408 and closes when the head does not arrive within headersTimeout (slowloris)', async () => {
    const server = await startNative(echoTarget, { headersTimeout: 1 });
    const c = new RawConnection(server.port);
    const started = Date.now();
    await c.write('GET / HTTP/1.1\r\nHost: a\r\n');
    // Keep trickling bytes: a slowloris client never finishes the head.
    const trickle = setInterval(() => { if (!c.closed) c.socket.write('X-A: b\r\n'); }, 200);
    try {
      await c.waitClosed(5000);
    } finally {
      clearInterval(trickle);
    }
    const elapsed = Date.now() - started;
    expect(c.data.toString()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3500);
  });

  it('closes an idle keep-alive connection after keepAliveTimeout', async () => {
    const server = await startNative(echoTarget, { keepAliveTimeout: 1 });
    const c = new RawConnection(server.port);
    await c.write(`GET / HTTP/1.1\r\n${H}\r\n`);
    await c.responses(1);
    const started = Date.now();
    await c.waitClosed(5000);
    expect(Date.now() - started).toBeLessThan(3500);
    expect(c.data.toString()).not.toContain('408');
  });
});

describe('native engine: body timeout', () => {
  it('does not count a pause the application asked for (pauseBody) as the client stalling', async () => {
    // bodyTimeout 1 s; the application pauses the body for 2.5 s, then resumes and reads
    // the rest, which the client sent meanwhile: no 408, the whole body arrives.
    const server = await startNative((ex) => {
      ex.pauseBody();
      setTimeout(() => {
        ex.resumeBody();
        echoBody(ex);
      }, 2500);
    }, { bodyTimeout: 1 });
    const c = new RawConnection(server.port);
    await c.write(`POST / HTTP/1.1\r\n${H}Content-Length: 6\r\n\r\nabc`);
    // The rest comes while the engine is paused (it then waits in the kernel).
    await new Promise((resolve) => setTimeout(resolve, 300));
    await c.write('def');
    const [response] = await c.responses(1, ['POST']);
    expect(response!.status).toBe(200);
    expect(response!.body.toString()).toBe('6:abcdef');
    c.close();
  });
});

describe('native engine: keep-alive timeout and slow readers', () => {
  it('does not count a response still draining to a slow reader as idle time', async () => {
    const big = Buffer.alloc(24 * 1024 * 1024, 'z');
    const server = await startNative((ex) => {
      ex.writeHead(head('200 OK', big.length));
      ex.end(big); // ends at once; the engine queues what the socket cannot take
    }, { keepAliveTimeout: 1 });
    const socket = connect(server.port, '127.0.0.1');
    socket.pause();
    socket.write(`GET / HTTP/1.1\r\n${H}\r\n`);
    // A client that does not read for longer than keepAliveTimeout.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    let received = 0;
    const done = new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => { received += d.length; if (received >= big.length) resolve(); });
      socket.on('close', () => resolve());
    });
    socket.resume();
    await done;
    socket.destroy();
    expect(received).toBeGreaterThanOrEqual(big.length);
  });
});

describe('native engine: close and abort', () => {
  it('graceful close finishes the in-flight exchange, closes idle connections, then resolves', async () => {
    let pending: Exchange | undefined;
    let arrived!: () => void;
    const ready = new Promise<void>((resolve) => (arrived = resolve));
    const server = await startNative((ex) => {
      if (ex.head.target === '/slow') { ex.head.detach(); pending = ex; arrived(); } else echoTarget(ex);
    });
    const idle = new RawConnection(server.port);
    await idle.write(`GET /fast HTTP/1.1\r\n${H}\r\n`);
    await idle.responses(1);
    const busy = new RawConnection(server.port);
    await busy.write(`GET /slow HTTP/1.1\r\n${H}\r\n`);
    await ready;
    let closed = false;
    const closing = server.close().then(() => { closed = true; });
    await idle.waitClosed();
    expect(closed).toBe(false);
    echoTarget(pending!);
    const [r] = await busy.responses(1);
    expect(r!.body.toString()).toBe('GET /slow');
    expect(r!.headers.get('connection')).toEqual(['close']);
    await busy.waitClosed();
    await closing;
    expect(closed).toBe(true);
    // New connections are refused.
    const late = new RawConnection(server.port);
    await expect(late.write('GET / HTTP/1.1\r\n\r\n')).rejects.toThrow();
  });

  it('fires onAborted when the client goes away mid-body, and abort() resets', async () => {
    let aborted!: () => void;
    const wasAborted = new Promise<void>((resolve) => (aborted = resolve));
    const server = await startNative((ex) => {
      if (ex.head.target === '/abort') { ex.abort(); return; }
      ex.onAborted(aborted);
      ex.readBody(() => {});
    });
    const c = new RawConnection(server.port);
    await c.write(`POST / HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\npartial`);
    await new Promise((resolve) => setImmediate(resolve));
    c.close();
    await wasAborted;
    const d = new RawConnection(server.port);
    await d.write(`GET /abort HTTP/1.1\r\n${H}\r\n`);
    await d.waitClosed();
    expect(d.data.length).toBe(0);
  });
});

describe('native engine: backpressure and sendfile', () => {
  it('write() returns false when the socket is full and onWritable fires when it drains', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const total = 512; // 32 MiB: more than loopback socket buffers hold
    let blocked!: () => void;
    const sawFalse = new Promise<void>((resolve) => (blocked = resolve));
    let written = 0;
    const server = await startNative((ex) => {
      ex.writeHead(head('200 OK', chunk.length * total));
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent++;
          written += chunk.length;
          if (sent === total) { ex.end(chunk); return; }
          if (!ex.write(chunk)) { blocked(); ex.onWritable(pump); return; }
        }
      };
      pump();
    });
    const socket = connect(server.port, '127.0.0.1');
    socket.pause(); // a slow reader: the server must stop producing, not buffer 32 MiB
    socket.write(`GET / HTTP/1.1\r\n${H}\r\n`);
    await sawFalse;
    expect(written).toBeLessThan(chunk.length * total);
    let received = 0;
    const all = new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => {
        received += d.length;
        if (received >= chunk.length * total) resolve();
      });
    });
    socket.resume();
    await all;
    socket.destroy();
    expect(written).toBe(chunk.length * total);
  });

  it('sendFile sends a file range with sendfile(2), also chunked and pipelined', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-native-'));
    const file = join(dir, 'data.bin');
    const data = Buffer.alloc(1024 * 1024 + 12345);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    writeFileSync(file, data);
    const server = await startNative((ex) => {
      const fd = openSync(file, 'r');
      const chunked = ex.head.target === '/chunked';
      ex.writeHead(head('200 OK', data.length - 10, { framing: chunked ? 1 : 0 }));
      ex.sendFile!(fd, 10, data.length - 10, (error) => {
        closeSync(fd);
        if (error) ex.abort();
        else ex.end();
      });
    });
    const c = new RawConnection(server.port);
    await c.write(`GET /length HTTP/1.1\r\n${H}\r\nGET /chunked HTTP/1.1\r\n${H}\r\nGET /length HTTP/1.1\r\n${H}\r\n`);
    const rs = await c.responses(3);
    for (const r of rs) expect(r.body.equals(data.subarray(10))).toBe(true);
    expect(rs.map((r) => r.framing)).toEqual(['length', 'chunked', 'length']);
    c.close();
  });
});
