// The handshake on every engine that serves TLS: versions (1.2+ only), ALPN http/1.1,
// plain HTTP to the TLS port, stalled and half handshakes cut by handshakeTimeout,
// client-initiated renegotiation refused. Where a refusal could come from the client
// rather than the server (OpenSSL's own defaults), a control against a permissive
// node:tls server shows the same client really does succeed.

import { createServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { certs, onUws, responses, sClient, startTls, TEXT, tcp, tls, tlsEngines, UWS_TLS, why } from './lab.js';

const hello: App = (_e, sr) => { sr('200 OK', TEXT); return ['hello']; };
/** A client willing to speak TLS 1.1 despite the system's MinProtocol/SECLEVEL defaults. */
const TLS11 = ['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0'];

const controls: TlsServer[] = [];
afterEach(() => { for (const s of controls.splice(0)) s.close(); });

/** A permissive node:tls server: TLS 1.0+, renegotiation allowed, ALPN http/1.1 (or none). */
function control(): Promise<number> {
  const server = createServer({
    cert: certs.serverCert, key: certs.serverKey, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0', ALPNProtocols: ['http/1.1'],
  }, (s) => { s.on('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')); s.on('error', () => undefined); });
  controls.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** Renegotiate a TLS 1.2 connection; resolves with the outcome. */
async function renegotiate(port: number): Promise<string> {
  const conn = await tls(port, { maxVersion: 'TLSv1.2' });
  const outcome = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('no outcome within 3 s'), 3000);
    const ok = (conn.socket as TLSSocket).renegotiate({ rejectUnauthorized: true }, (error) => { clearTimeout(timer); resolve(error ? `refused: ${error.message}` : 'renegotiated'); });
    if (!ok) { clearTimeout(timer); resolve('refused: not started'); }
    conn.socket.once('close', () => { clearTimeout(timer); resolve('refused: closed'); });
  });
  conn.socket.destroy();
  return outcome;
}

describe('controls: the clients below can succeed', () => {
  it('openssl s_client -tls1_1 connects to a server that allows TLS 1.1', async () => {
    const r = await sClient(await control(), TLS11, 'Q\n');
    expect(r.out).toMatch(/Protocol *: TLSv1\.1/);
    // The version is printed even for a refused session; a cipher only for a negotiated one.
    expect(r.out).toMatch(/New, TLSv1[.0-9]*, Cipher is [A-Z]/);
  });
  it('node:tls renegotiates with a server that allows it', async () => {
    expect(await renegotiate(await control())).toBe('renegotiated');
  });
});

describe.each(tlsEngines)('TLS handshake on $engine', ({ engine, skip }) => {
  const noMinVersion = skip || onUws(engine, UWS_TLS.minVersion);
  const noHandshakeTimeout = skip || onUws(engine, UWS_TLS.handshakeTimeout);
  it.skipIf(skip)(`TLS 1.0 and 1.1 are refused; 1.2 and 1.3 are served${why(skip)}`, async () => {
    const server = await startTls(engine, hello);
    for (const old of [TLS11, ['-tls1', '-cipher', 'DEFAULT:@SECLEVEL=0']]) {
      const r = await sClient(server.port, old, 'Q\n');
      expect(r.code).not.toBe(0);
      // s_client prints the version it asked for under SSL-Session even when refused;
      // "New, (NONE), Cipher is (NONE)" says no session was negotiated.
      expect(r.out).toContain('New, (NONE), Cipher is (NONE)');
      expect(r.out).not.toMatch(/New, TLSv1(\.0|\.1)?, Cipher is/);
    }
    for (const [flag, name] of [['-tls1_2', 'TLSv1.2'], ['-tls1_3', 'TLSv1.3']]) {
      const r = await sClient(server.port, [flag!, '-ign_eof'], 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      expect(r.out).toContain(`Protocol  : ${name}`);
      expect(r.out).toMatch(/HTTP\/1\.1 200 [^]*hello/);
    }
  });

  it.skipIf(noMinVersion)(`minVersion TLSv1.3 refuses a TLS 1.2 client${why(noMinVersion)}`, async () => {
    const server = await startTls(engine, hello, { minVersion: 'TLSv1.3' });
    const r12 = await sClient(server.port, ['-tls1_2'], 'Q\n');
    expect(r12.code).not.toBe(0);
    const r13 = await sClient(server.port, ['-tls1_3'], 'Q\n');
    expect(r13.out).toContain('New, TLSv1.3, Cipher is'); // the SSL-Session block may not be printed yet at Q
  });

  // docs/engines.md: uWS.js v20.30 negotiates no ALPN at all (clients then speak HTTP/1.1).
  const alpn = engine === 'uws' ? 'none' : 'http/1.1';
  it.skipIf(skip)(`ALPN: ${alpn === 'none' ? 'none is selected' : 'http/1.1 is selected'}; a client offering only h2 gets no h2${why(skip)}`, async () => {
    const server = await startTls(engine, hello);
    const r = await sClient(server.port, ['-alpn', 'http/1.1'], 'Q\n');
    expect(r.out).toContain(alpn === 'none' ? 'No ALPN negotiated' : 'ALPN protocol: http/1.1');
    const h2 = await sClient(server.port, ['-alpn', 'h2'], 'Q\n');
    expect(h2.out).not.toContain('ALPN protocol: h2');
    const viaNode = await tls(server.port);
    expect(viaNode.socket.alpnProtocol).toBe(alpn === 'none' ? false : 'http/1.1');
    viaNode.socket.destroy();
  });

  it.skipIf(skip)(`plain HTTP sent to the TLS port: ${engine === 'uws' ? 'the connection closes promptly' : 'a plaintext 400 with Connection: close, then FIN'}${why(skip)}`, async () => {
    const server = await startTls(engine, hello, { handshakeTimeout: 10 });
    const conn = await tcp(server.port);
    conn.socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    const ms = await conn.closed(3000);
    expect(ms).toBeLessThan(2000); // well inside handshakeTimeout: the bytes were recognised
    if (engine !== 'uws') {
      expect(conn.text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(conn.text).toMatch(/\r\nConnection: close\r\n/i);
      expect(conn.text).toMatch(/\r\n\r\n.*plain HTTP request sent to an HTTPS port/i);
    }
    // The server still serves TLS.
    const ok = await tls(server.port);
    ok.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(responses(await ok.until((t) => responses(t).length === 1))[0]?.status).toBe(200);
    ok.socket.destroy();
  });

  it.skipIf(noHandshakeTimeout)(`a client that connects and sends nothing is closed within handshakeTimeout (1 s)${why(noHandshakeTimeout)}`, async () => {
    const server = await startTls(engine, hello, { handshakeTimeout: 1 });
    const silent = await tcp(server.port);
    const ms = await silent.closed(4000);
    expect(ms).toBeGreaterThan(800);
    expect(ms).toBeLessThan(2500);
  });

  it.skipIf(noHandshakeTimeout)(`a client that stalls after half a ClientHello is closed within handshakeTimeout (1 s)${why(noHandshakeTimeout)}`, async () => {
    const server = await startTls(engine, hello, { handshakeTimeout: 1 });
    const half = await tcp(server.port);
    // A handshake record announcing 512 bytes of ClientHello, of which 40 arrive.
    half.socket.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), Buffer.alloc(29, 7)]));
    const ms = await half.closed(4000);
    expect(ms).toBeGreaterThan(800);
    expect(ms).toBeLessThan(2500);
    const ok = await tls(server.port);
    expect(ok.socket.authorized).toBe(true);
    ok.socket.destroy();
  });

  it.skipIf(noHandshakeTimeout)(`a completed handshake is not cut by handshakeTimeout${why(noHandshakeTimeout)}`, async () => {
    const server = await startTls(engine, hello, { handshakeTimeout: 1 }, { keepAliveTimeout: 5 });
    const conn = await tls(server.port);
    const ms = await conn.closed(1800);
    expect(ms).toBe(Infinity);
    conn.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(responses(await conn.until((t) => responses(t).length === 1))[0]?.body).toBe('hello');
    conn.socket.destroy();
  });

  it.skipIf(skip)(`client-initiated renegotiation is refused, and the server keeps serving${why(skip)}`, async () => {
    const server = await startTls(engine, hello);
    expect(await renegotiate(server.port)).toMatch(/^refused/);
    const ok = await tls(server.port);
    ok.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(responses(await ok.until((t) => responses(t).length === 1))[0]?.status).toBe(200);
    ok.socket.destroy();
  });
});
