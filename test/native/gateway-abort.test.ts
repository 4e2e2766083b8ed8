// The native engine through the gateway when the client leaves: an abort is an abort
// (never "error in application"), bodies are closed, and close() ends in bounded time.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveFast } from '../../src/index.js';
import type { App } from '../../src/types.js';
import { RawConnection } from '../helpers/raw-http.js';
import { memoryLogger } from '../helpers/server.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const dir = mkdtempSync(join(tmpdir(), 'tsgi-native-abort-'));
const bigPath = join(dir, 'big.bin');
writeFileSync(bigPath, Buffer.alloc(64 * 1024 * 1024, 'q'));

describe('native engine through the gateway: clients that leave', () => {
  it('a reset during sendfile is an abort, not an application error', async () => {
    const log = memoryLogger();
    const app: App = (env, sr) => {
      sr('200 OK', [['Content-Type', 'application/octet-stream']]);
      return (env['wsgi.file_wrapper'] as (p: string) => Iterable<Uint8Array>)(bigPath);
    };
    const server = await serveFast(app, { host: '127.0.0.1', port: 0, engine: 'native', logger: log });
    try {
      for (let i = 0; i < 10; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect(server.port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n'));
          let got = 0;
          socket.on('data', (d: Buffer) => {
            got += d.length;
            if (got > 256 * 1024) socket.resetAndDestroy();
          });
          socket.on('error', () => {});
          socket.on('close', () => resolve());
        });
      }
      await sleep(200);
      expect(log.lines.filter((l) => /error in application|TSGI_ERR_SENDFILE/.test(l))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('an endless generator is closed when the client leaves, and close() resolves', async () => {
    const log = memoryLogger();
    let closed = 0;
    const app: App = (_env, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return (async function* () {
        try {
          for (;;) {
            yield new TextEncoder().encode('tick\n');
            await sleep(300); // idle between chunks
          }
        } finally {
          closed++;
        }
      })();
    };
    const server = await serveFast(app, { host: '127.0.0.1', port: 0, engine: 'native', logger: log });
    const c = new RawConnection(server.port);
    await c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.until((x) => x.data.includes('tick'));
    const left = Date.now();
    c.socket.destroy(); // a full close (FIN), as curl and browsers do
    while (closed === 0 && Date.now() - left < 4000) await sleep(20);
    expect(closed).toBe(1);
    expect(Date.now() - left).toBeLessThan(1500);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(log.lines.filter((l) => /error in application/.test(l))).toEqual([]);
    c.close();
  });

  it('an endless stream to a client that half-closed and keeps reading ends too', async () => {
    let closed = 0;
    const app: App = (_env, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return (async function* () {
        try {
          for (;;) {
            yield new TextEncoder().encode('tick\n');
            await sleep(100);
          }
        } finally {
          closed++;
        }
      })();
    };
    const server = await serveFast(app, { host: '127.0.0.1', port: 0, engine: 'native', logger: memoryLogger() });
    const c = new RawConnection(server.port);
    await c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await c.until((x) => x.data.includes('tick'));
    const left = Date.now();
    c.socket.end(); // half-close; the socket keeps reading
    await c.waitClosed(9000);
    while (closed === 0 && Date.now() - left < 9000) await sleep(20);
    expect(closed).toBe(1);
    expect(Date.now() - left).toBeLessThan(7000); // Connection::kHalfCloseEndMs (5 s) and a tick
    await server.close();
  }, 15000);

  it('close() ends in bounded time with a non-reading client of an endless stream (sendTimeout)', async () => {
    let closed = 0;
    const chunk = new Uint8Array(64 * 1024).fill(120);
    const app: App = (_env, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return (function* () {
        try {
          for (;;) yield chunk;
        } finally {
          closed++;
        }
      })();
    };
    const server = await serveFast(app, { host: '127.0.0.1', port: 0, engine: 'native', sendTimeout: 1, logger: memoryLogger() });
    const c = new RawConnection(server.port);
    c.socket.pause();
    await c.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await sleep(300);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(4000);
    expect(closed).toBe(1);
    c.close();
  });
});
