// The native engine's TLS layer (native/src/TlsConnection.cc) where test/tls cannot see
// it: file bodies over TLS (no kernel TLS here: read, encrypt, queue in 64 KiB pieces),
// memory of a client that never reads, and OpenSSL refusing options at listen and on
// reload. Engine level (startNative), real node:tls clients.
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { connect, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TlsConfigError } from '../../src/errors.js';
import { resolveTls, type TlsOptions } from '../../src/tls-options.js';
import type { Exchange } from '../../src/contract.js';
import type { App } from '../../src/types.js';
import { start } from '../helpers/server.js';
import { tlsFixture } from '../helpers/tls-certs.js';
import { head, startNative } from './native-helpers.js';

const certs = tlsFixture();
const tlsOf = (extra: Partial<TlsOptions> = {}) => resolveTls({ cert: certs.serverCert, key: certs.serverKey, ...extra }, 'test');

const dir = mkdtempSync(join(tmpdir(), 'tsgi-native-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 1 GiB file: 1 MiB of random bytes, then a hole (zeros) the kernel never stores. */
const HUGE = join(dir, 'huge.bin');
const HUGE_SIZE = 1024 * 1024 * 1024;
const HUGE_HEAD = randomBytes(1024 * 1024);
writeFileSync(HUGE, HUGE_HEAD);
truncateSync(HUGE, HUGE_SIZE);

function client(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.caCert });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads from `socket` until `n` body bytes after the head arrived; returns them. */
function readBody(socket: TLSSocket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const body: Buffer[] = [];
    let got = -1; // body bytes so far; -1 while the head is incomplete
    const onData = (d: Buffer): void => {
      if (got < 0) {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        d = head.subarray(end + 4);
        got = 0;
      }
      body.push(d);
      got += d.length;
      if (got >= n) {
        socket.off('data', onData);
        resolve(Buffer.concat(body).subarray(0, n));
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed after ${got} body bytes`)));
  });
}

/** Largest growth of this process's RSS over `ms` (the server runs in it). */
async function rssGrowth(before: number, ms: number): Promise<number> {
  let max = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    max = Math.max(max, process.memoryUsage().rss - before);
  }
  return max;
}

function sendHuge(ex: Exchange, done: (error?: Error) => void): void {
  const fd = openSync(HUGE, 'r');
  ex.writeHead(head('200 OK', HUGE_SIZE));
  ex.sendFile!(fd, 0, HUGE_SIZE, (error) => {
    closeSync(fd);
    done(error);
    if (error) ex.abort();
    else ex.end();
  });
}

describe('native engine over TLS', () => {
  it('sends a file body through the TLS layer intact (two responses on one connection)', async () => {
    const file = join(dir, 'small.bin');
    const bytes = randomBytes(3 * 1024 * 1024 + 5);
    writeFileSync(file, bytes);
    const server = await startNative((ex) => {
      const fd = openSync(file, 'r');
      ex.writeHead(head('200 OK', bytes.length));
      ex.sendFile!(fd, 0, bytes.length, (error) => { closeSync(fd); if (error) ex.abort(); else ex.end(); });
    }, { tls: tlsOf() });
    const socket = await client(server.port);
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    for (let i = 0; i < 2; i++) {
      const got = readBody(socket, bytes.length);
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      expect(sha(await got)).toBe(sha(bytes));
    }
    socket.destroy();
  });

  it('a 1 GiB file to a client that stops reading: memory stays bounded, the first MiB is right, the server serves on', async () => {
    const results: (Error | undefined)[] = [];
    const server = await startNative((ex) => (ex.head.target === '/huge' ? sendHuge(ex, (e) => results.push(e)) : (ex.writeHead(head('200 OK', 2)), ex.write('ok'), ex.end())), { tls: tlsOf() });
    const socket = await client(server.port);
    const first = readBody(socket, HUGE_HEAD.length);
    socket.write('GET /huge HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect((await first).equals(HUGE_HEAD)).toBe(true);
    socket.pause(); // never reads again: the kernel buffers fill, then the server waits
    const before = process.memoryUsage().rss;
    expect(await rssGrowth(before, 1500)).toBeLessThan(64 * 1024 * 1024);
    const other = await client(server.port);
    const ok = readBody(other, 2);
    other.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect((await ok).toString()).toBe('ok');
    other.destroy();
    socket.destroy();
  });

  it('a streamed response to a client that never reads: the app is asked for a bounded number of chunks', async () => {
    let pulled = 0;
    const CHUNK = 64 * 1024;
    const server = await startNative((ex) => {
      ex.writeHead(head('200 OK', 1024 * CHUNK));
      const pump = (): void => {
        while (pulled < 1024) {
          pulled++;
          if (!ex.write(Buffer.alloc(CHUNK, 120))) return ex.onWritable!(pump);
        }
        ex.end();
      };
      pump();
    }, { tls: tlsOf() });
    const socket = await client(server.port);
    socket.pause();
    socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await rssGrowth(process.memoryUsage().rss, 1000);
    // Kernel buffers on both sides, the C++ queue (high-water 256 KiB of ciphertext):
    // a few MiB at most, never the whole 64 MiB body.
    expect(pulled * CHUNK).toBeLessThan(16 * 1024 * 1024);
    socket.destroy();
  });

  it('1000 pipelined requests in one TLS write: past the in-flight limit the rest waits in the session, then all are answered in order', async () => {
    const server = await startNative((ex) => {
      const text = ex.head.target;
      ex.writeHead(head('200 OK', text.length));
      ex.write(text);
      ex.end();
    }, { tls: tlsOf() });
    const socket = await client(server.port);
    const N = 1000; // ~40 KB: several TLS records, far more than 128 requests in flight
    const expected = Array.from({ length: N }, (_, i) => `/${i}`).join('');
    const text = await new Promise<string>((resolve, reject) => {
      let all = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        all += d;
        const bodies = all.split('\r\n\r\n').slice(1).map((part) => part.split('HTTP/1.1')[0]).join('');
        if (bodies.length >= expected.length) resolve(bodies);
      });
      socket.once('close', () => reject(new Error(`closed after ${all.length} bytes`)));
      socket.write(Array.from({ length: N }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`).join(''));
    });
    expect(text).toBe(expected);
    socket.destroy();
  });

  it('options OpenSSL refuses: TlsConfigError at listen, and on reload (the old context keeps serving)', async () => {
    const hello: App = (_e, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return ['ok']; };
    const tls = { cert: certs.serverCert, key: certs.serverKey };
    await expect(start(hello, 'native', { tls: { ...tls, ciphers: 'NO-SUCH-CIPHER' } })).rejects.toThrow(TlsConfigError);
    const server = await start(hello, 'native', { tls });
    expect(() => server.reloadTls({ cert: certs.server2Cert, key: certs.server2Key, ciphers: 'NO-SUCH-CIPHER' })).toThrow(/OpenSSL refused/);
    const socket = await client(server.port);
    expect(socket.getPeerCertificate().serialNumber).toBe(new X509Certificate(certs.serverCert).serialNumber);
    socket.destroy();
  });
});
