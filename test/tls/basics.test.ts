// TLS with real clients on every engine that serves it: curl, python3's ssl, node:https
// and raw bytes over node:tls; the environ of a TLS request next to a plain one;
// keep-alive and a pipelined batch inside one TLS connection.

import { request } from 'node:https';
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { start } from '../helpers/server.js';
import { CLIENT_SUBJECT } from '../helpers/tls-certs.js';
import { certs, echo, ENV_KEYS, get, onUws, responses, run, startTls, TEXT, tls, tlsEngines, UWS_TLS, why } from './lab.js';

const hello: App = (_e, sr) => { sr('200 OK', TEXT); return ['hello over tls']; };
const path: App = (e, sr) => { sr('200 OK', TEXT); return [`path ${e.PATH_INFO as string}`]; };

const PYTHON_GET = `
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
with urllib.request.urlopen(sys.argv[1], context=ctx) as r:
    sys.stdout.write(str(r.status) + " " + r.read().decode())
`;

describe.each(tlsEngines)('TLS basics on $engine', ({ engine, skip }) => {
  const noClientCerts = skip || onUws(engine, UWS_TLS.clientCerts);
  it.skipIf(skip)(`curl --cacert GETs over https${why(skip)}`, async () => {
    const server = await startTls(engine, hello);
    expect(server.tls).toBe(true);
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    const r = await run('curl', ['-sS', '--cacert', certs.path('ca'), '-w', ' %{http_code} %{http_version}', `https://localhost:${server.port}/`]);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('hello over tls 200 1.1');
  });

  it.skipIf(skip)(`python3 urllib with an SSLContext GETs over https${why(skip)}`, async () => {
    const server = await startTls(engine, hello);
    const r = await run('python3', ['-c', PYTHON_GET, `https://localhost:${server.port}/`, certs.path('ca')]);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('200 hello over tls');
  });

  it.skipIf(skip)(`node:https verifies the certificate and GETs${why(skip)}`, async () => {
    const server = await startTls(engine, hello);
    const { status, body, serial } = await new Promise<{ status: number; body: string; serial: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', servername: 'localhost', port: server.port, path: '/', ca: certs.caCert, agent: false }, (res) => {
        let b = '';
        res.setEncoding('latin1').on('data', (d: string) => { b += d; }).on('end', () => resolve({
          status: res.statusCode ?? 0, body: b, serial: (res.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber,
        }));
      });
      req.on('error', reject).end();
    });
    expect(status).toBe(200);
    expect(body).toBe('hello over tls');
    expect(serial).toBe(new (await import('node:crypto')).X509Certificate(certs.serverCert).serialNumber);
  });

  it.skipIf(skip)(`environ on TLS: wsgi.url_scheme https, HTTPS on, SSL_PROTOCOL and SSL_CIPHER; no client keys without requestCert${why(skip)}`, async () => {
    const server = await startTls(engine, echo(ENV_KEYS));
    const { status, body, protocol, cipher } = await get(server.port);
    expect(status).toBe(200);
    const env = JSON.parse(body) as Record<string, string>;
    expect(env['wsgi.url_scheme']).toBe('https');
    expect(env.HTTPS).toBe('on');
    // docs/tls.md: uws cannot see the protocol and cipher; the keys are then absent.
    if (engine !== 'uws' || env.SSL_PROTOCOL !== undefined) {
      expect(env.SSL_PROTOCOL).toMatch(/^TLSv1\.[23]$/);
      expect(env.SSL_PROTOCOL).toBe(protocol);
      expect([cipher.name, cipher.standardName]).toContain(env.SSL_CIPHER);
    }
    expect(env.SSL_CLIENT_S_DN).toBeUndefined();
    expect(env.SSL_CLIENT_VERIFY).toBeUndefined();
  });

  it.skipIf(skip)(`environ on a plain server of the same engine has none of the TLS keys${why(skip)}`, async () => {
    const server = await start(echo(ENV_KEYS), engine);
    const r = await run('curl', ['-sS', `http://127.0.0.1:${server.port}/`]);
    expect(JSON.parse(r.stdout.toString())).toEqual({ 'wsgi.url_scheme': 'http', PATH_INFO: '/' });
  });

  it.skipIf(skip)(`keep-alive: two requests on one TLS connection${why(skip)}`, async () => {
    const server = await startTls(engine, path);
    const conn = await tls(server.port);
    conn.socket.write('GET /one HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await conn.until((t) => responses(t).length === 1);
    expect(conn.open).toBe(true);
    conn.socket.write('GET /two HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const text = await conn.until((t) => responses(t).length === 2);
    expect(responses(text)).toEqual([{ status: 200, body: 'path /one' }, { status: 200, body: 'path /two' }]);
    expect(conn.open).toBe(true);
    conn.socket.destroy();
  });

  it.skipIf(skip)(`a pipelined batch of 16 requests in one TLS write gets 16 answers in order${why(skip)}`, async () => {
    const server = await startTls(engine, path);
    const conn = await tls(server.port);
    const batch = Array.from({ length: 16 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: localhost\r\n\r\n`).join('');
    conn.socket.write(batch);
    const text = await conn.until((t) => responses(t).length === 16);
    expect(responses(text)).toEqual(Array.from({ length: 16 }, (_, i) => ({ status: 200, body: `path /${i}` })));
    conn.socket.destroy();
  });

  it.skipIf(noClientCerts)(`client certificates: alice's subject and SUCCESS in environ${why(noClientCerts)}`, async () => {
    const server = await startTls(engine, echo(ENV_KEYS), { requestCert: true, ca: certs.caCert });
    const { status, body } = await get(server.port, '/', { cert: certs.clientCert, key: certs.clientKey });
    expect(status).toBe(200);
    const env = JSON.parse(body) as Record<string, string>;
    expect(env.SSL_CLIENT_VERIFY).toBe('SUCCESS');
    if (engine !== 'uws' || env.SSL_CLIENT_S_DN !== undefined) expect(env.SSL_CLIENT_S_DN).toBe(CLIENT_SUBJECT);
  });

  it.skipIf(noClientCerts)(`client certificates required: a client without one gets no answer${why(noClientCerts)}`, async () => {
    const server = await startTls(engine, hello, { requestCert: true, ca: certs.caCert });
    // TLS 1.3 finishes the client's side of the handshake before the server has checked
    // the certificate, so the refusal (an alert and a close) shows on the first read.
    const outcome = await get(server.port).then((r) => `answered ${r.status}`, (e: Error) => `refused: ${e.message}`);
    expect(outcome).toMatch(/^refused/);
    const curl = await run('curl', ['-sS', '--cacert', certs.path('ca'), `https://localhost:${server.port}/`]);
    expect(curl.code).not.toBe(0);
    const alice = await run('curl', ['-sS', '--cacert', certs.path('ca'), '--cert', certs.path('client'), '--key', certs.path('client-key'), `https://localhost:${server.port}/`]);
    expect(alice.stdout.toString()).toBe('hello over tls');
  });

  it.skipIf(noClientCerts)(`client certificates optional (rejectUnauthorized false): NONE without, FAILED:… with a stranger's${why(noClientCerts)}`, async () => {
    const server = await startTls(engine, echo(ENV_KEYS), { requestCert: true, rejectUnauthorized: false, ca: certs.caCert });
    const none = JSON.parse((await get(server.port)).body) as Record<string, string>;
    expect(none.SSL_CLIENT_VERIFY).toBe('NONE');
    expect(none.SSL_CLIENT_S_DN).toBeUndefined();
    const stranger = JSON.parse((await get(server.port, '/', { cert: certs.strangerCert, key: certs.strangerKey })).body) as Record<string, string>;
    expect(stranger.SSL_CLIENT_VERIFY).toMatch(/^FAILED:./);
    const alice = JSON.parse((await get(server.port, '/', { cert: certs.clientCert, key: certs.clientKey })).body) as Record<string, string>;
    expect(alice.SSL_CLIENT_VERIFY).toBe('SUCCESS');
  });
});
