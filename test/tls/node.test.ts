// Engine node over TLS where its implementation could go wrong on its own (src/engines/
// node-tls.ts): a handshake deadline that bytes do not extend, failed handshakes that
// never reach the logger, and reloadTls changing the client-certificate policy for new
// handshakes only.

import { describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { memoryLogger } from '../helpers/server.js';
import { certs, echo, ENV_KEYS, get, responses, startTls, TEXT, tcp, tls, tlsEngines, why } from './lab.js';

const hello: App = (_e, sr) => { sr('200 OK', TEXT); return ['hello']; };
const node = tlsEngines.find((e) => e.engine === 'node');
const skip = node === undefined ? 'engine node is not among the engines under test' : node.skip;

describe('TLS on node: handshake guards and policy reloads', () => {
  it.skipIf(skip)(`a ClientHello dribbled a byte every 150 ms is still cut at handshakeTimeout (1 s): bytes do not extend it${why(skip)}`, async () => {
    const server = await startTls('node', hello, { handshakeTimeout: 1 });
    const conn = await tcp(server.port);
    const bytes = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, ...Buffer.alloc(200, 7)]);
    let i = 0;
    const drip = setInterval(() => { if (conn.open && i < bytes.length) conn.socket.write(bytes.subarray(i, ++i)); }, 150);
    const ms = await conn.closed(4000);
    clearInterval(drip);
    expect(i).toBeGreaterThan(4); // it was sending all along
    expect(ms).toBeGreaterThan(800);
    expect(ms).toBeLessThan(2500);
  });

  it.skipIf(skip)(`failed handshakes, plain HTTP and timeouts are the client's problem: nothing reaches the logger${why(skip)}`, async () => {
    const logger = memoryLogger();
    const server = await startTls('node', hello, { requestCert: true, ca: certs.caCert, handshakeTimeout: 1 }, { logger });
    const outcomes = await Promise.all([
      get(server.port).then(() => 'answered', () => 'refused'), // no client certificate
      get(server.port, '/', { cert: certs.strangerCert, key: certs.strangerKey }).then(() => 'answered', () => 'refused'),
      tls(server.port, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }).then(() => 'answered', () => 'refused'),
      tcp(server.port).then(async (c) => { c.socket.write('GET / HTTP/1.1\r\n\r\n'); await c.closed(); return c.text.startsWith('HTTP/1.1 400 ') ? 'refused' : c.text; }),
      tcp(server.port).then(async (c) => { c.socket.write(Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0, 0])); await c.closed(); return 'refused'; }),
      tcp(server.port).then(async (c) => { await c.closed(); return 'refused'; }), // silent: timed out
    ]);
    expect(outcomes).toEqual(Array(6).fill('refused'));
    const alice = await get(server.port, '/', { cert: certs.clientCert, key: certs.clientKey });
    expect(alice.body).toBe('hello');
    expect(logger.lines).toEqual([]);
  });

  it.skipIf(skip)(`reloadTls with requestCert: new handshakes are asked for a certificate, a connection already open keeps its terms${why(skip)}`, async () => {
    const server = await startTls('node', echo(ENV_KEYS), { ca: certs.caCert });
    const before = await tls(server.port);
    server.reloadTls({ cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert, requestCert: true, rejectUnauthorized: false });
    const alice = JSON.parse((await get(server.port, '/', { cert: certs.clientCert, key: certs.clientKey })).body) as Record<string, string>;
    expect(alice).toMatchObject({ SSL_CLIENT_VERIFY: 'SUCCESS', SSL_CLIENT_S_DN: 'CN=alice,O=tsgi tests' });
    const none = JSON.parse((await get(server.port)).body) as Record<string, string>;
    expect(none.SSL_CLIENT_VERIFY).toBe('NONE');
    // Accepted before the reload: no certificate was requested, so no client keys.
    before.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const [old] = responses(await before.until((t) => responses(t).length === 1));
    const env = JSON.parse(old!.body) as Record<string, string>;
    expect(env.HTTPS).toBe('on');
    expect(env.SSL_CLIENT_VERIFY).toBeUndefined();
    before.socket.destroy();
  });
});
