// Run-time limits (414 / 431), Unix sockets, IPv6, SO_REUSEPORT, Expect: 100-continue,
// HEAD, absolute-form targets, the lazy RequestHead.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RawConnection, header } from '../helpers/raw-http.js';
import type { Exchange } from '../../src/contract.js';
import { echoBody, echoTarget, head, startNative } from './native-helpers.js';

const H = 'Host: a\r\n';

async function statusOf(port: number, bytes: string): Promise<{ status: number; closed: boolean }> {
  const c = new RawConnection(port);
  await c.write(bytes);
  const [r] = await c.responses(1);
  await c.until((x) => x.closed || r!.status === 200);
  c.close();
  return { status: r!.status, closed: c.closed };
}

describe('native engine: limits set at run time', () => {
  it('414 when the request line is longer than maxRequestLine', async () => {
    const server = await startNative(echoTarget, { maxRequestLine: 100 });
    expect(await statusOf(server.port, `GET /${'a'.repeat(120)} HTTP/1.1\r\n${H}\r\n`)).toEqual({ status: 414, closed: true });
    expect((await statusOf(server.port, `GET /${'a'.repeat(80)} HTTP/1.1\r\n${H}\r\n`)).status).toBe(200);
  });

  it('414 before the line ends (no need to wait for the LF)', async () => {
    const server = await startNative(echoTarget, { maxRequestLine: 100 });
    expect(await statusOf(server.port, `GET /${'a'.repeat(200)}`)).toEqual({ status: 414, closed: true });
  });

  it('431 when there are more header fields than maxHeaderCount', async () => {
    const server = await startNative(echoTarget, { maxHeaderCount: 5 });
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: ${i}\r\n`).join('');
    expect(await statusOf(server.port, `GET / HTTP/1.1\r\n${H}${fields(5)}\r\n`)).toEqual({ status: 431, closed: true });
    expect((await statusOf(server.port, `GET / HTTP/1.1\r\n${H}${fields(4)}\r\n`)).status).toBe(200);
  });

  it('431 when the header block is larger than maxHeaderSize', async () => {
    const server = await startNative(echoTarget, { maxHeaderSize: 1024 });
    expect(await statusOf(server.port, `GET / HTTP/1.1\r\n${H}X-Big: ${'b'.repeat(1100)}\r\n\r\n`)).toEqual({ status: 431, closed: true });
    expect(await statusOf(server.port, `GET / HTTP/1.1\r\n${H}X-Big: ${'b'.repeat(3000)}`)).toEqual({ status: 431, closed: true });
    expect((await statusOf(server.port, `GET / HTTP/1.1\r\n${H}X-Big: ${'b'.repeat(900)}\r\n\r\n`)).status).toBe(200);
  });
});

describe('native engine: transports', () => {
  it('listens on a Unix domain socket', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tsgi-native-')), 's.sock');
    const server = await startNative(echoTarget, { path });
    expect(server.host).toBe(path);
    const c = new RawConnection(0, undefined, path);
    await c.write(`GET /unix HTTP/1.1\r\n${H}\r\n`);
    const [r] = await c.responses(1);
    expect(r!.body.toString()).toBe('GET /unix');
    c.close();
  });

  it('listens on IPv6 ::1 and reports the peer address', async () => {
    let peer = '';
    const server = await startNative((ex) => {
      peer = `${ex.head.remoteAddress} ${ex.head.localPort}`;
      echoTarget(ex);
    }, { host: '::1' });
    const c = new RawConnection(server.port, '::1');
    await c.write(`GET /v6 HTTP/1.1\r\nHost: [::1]\r\n\r\n`);
    const [r] = await c.responses(1);
    expect(r!.body.toString()).toBe('GET /v6');
    expect(peer).toBe(`::1 ${server.port}`);
    c.close();
  });

  it('shares a port between two servers with reusePort', async () => {
    const a = await startNative(echoTarget, { reusePort: true });
    const b = await startNative(echoTarget, { reusePort: true, port: a.port });
    expect(b.port).toBe(a.port);
  });

  it('refuses a port in use without reusePort, with a message saying so', async () => {
    const a = await startNative(echoTarget);
    await expect(startNative(echoTarget, { port: a.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('native engine: request and response details', () => {
  it('writes 100 Continue before reading the body', async () => {
    const server = await startNative((ex: Exchange) => {
      if (ex.head.header('expect')?.toLowerCase() === '100-continue') ex.writeContinue();
      echoBody(ex);
    });
    const c = new RawConnection(server.port);
    await c.write(`POST / HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 5\r\n\r\n`);
    await c.until((x) => x.data.toString().includes('100 Continue'));
    expect(c.data.toString()).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    await c.write('hello');
    const [r] = await c.responses(1);
    expect(r!.body.toString()).toBe('5:hello');
    c.close();
  });

  it('HEAD: head with Content-Length, no body bytes', async () => {
    const server = await startNative((ex) => {
      ex.writeHead(head('200 OK', 11, { noBody: ex.head.method === 'HEAD' }));
      ex.end('hello world');
    });
    const c = new RawConnection(server.port);
    await c.write(`HEAD / HTTP/1.1\r\n${H}\r\nGET / HTTP/1.1\r\n${H}\r\n`);
    const [h1, g] = await c.responses(2, ['HEAD', 'GET']);
    expect(header(h1!, 'content-length')).toBe('11');
    expect(g!.body.toString()).toBe('hello world');
    c.close();
  });

  it('passes absolute-form and asterisk-form targets through, and reads headers lazily', async () => {
    const seen: string[] = [];
    const server = await startNative((ex) => {
      const h = ex.head;
      seen.push(`${h.method} ${h.target} ${h.headerCount()} ${h.headerName(1)}=${h.headerValue(1)} ${h.header('x-dup')} ${h.header('absent')}`);
      echoTarget(ex);
    });
    const c = new RawConnection(server.port);
    await c.write(`GET http://example.com/p?q HTTP/1.1\r\n${H}x-Dup:  a \r\nX-DUP: b\r\n\r\nOPTIONS * HTTP/1.1\r\n${H}X-Dup: c\r\n\r\n`);
    await c.responses(2);
    expect(seen).toEqual(['GET http://example.com/p?q 3 x-Dup=a a, b undefined', 'OPTIONS * 2 X-Dup=c c undefined']);
    c.close();
  });

  it('a head read after the callback throws unless detached', async () => {
    let kept: Exchange | undefined;
    let detached: Exchange | undefined;
    const server = await startNative((ex) => {
      if (!kept) kept = ex;
      else { ex.head.detach(); detached = ex; }
      echoTarget(ex);
    });
    const c = new RawConnection(server.port);
    await c.write(`GET /1 HTTP/1.1\r\n${H}\r\n`);
    await c.responses(1);
    await c.write(`GET /2 HTTP/1.1\r\n${H}X: y\r\n\r\n`);
    await c.responses(2);
    expect(() => kept!.head.header('host')).toThrow(/TSGI_ERR_HEAD_EXPIRED/);
    expect(kept!.head.target).toBe('/1'); // read inside the callback: cached
    expect(detached!.head.header('x')).toBe('y');
    expect(detached!.head.headerName(0)).toBe('Host');
    c.close();
  });

  it('delivers a body whose handler reads it later, and Content-Length 0', async () => {
    const server = await startNative((ex) => {
      setTimeout(() => echoBody(ex), 5);
    });
    const c = new RawConnection(server.port);
    await c.write(`POST / HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcPOST / HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`);
    const rs = await c.responses(2);
    expect(rs.map((r) => r.body.toString())).toEqual(['3:abc', '0:']);
    c.close();
  });
});
