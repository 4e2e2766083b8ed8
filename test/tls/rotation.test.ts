// Certificate rotation under load (server.reloadTls) and hostile bytes: a reload loses no
// request and new handshakes get the new certificate; a bad reload throws and changes
// nothing; garbage or a truncated record on one connection never disturbs another.

import { X509Certificate } from 'node:crypto';
import { Agent, request } from 'node:https';
import { describe, expect, it } from 'vitest';
import { TlsConfigError } from '../../src/errors.js';
import type { App } from '../../src/types.js';
import { certs, get, responses, startTls, tcp, TEXT, tls, tlsEngines, why } from './lab.js';

const hello: App = (_e, sr) => { sr('200 OK', TEXT); return ['hello']; };
const SERIAL1 = new X509Certificate(certs.serverCert).serialNumber;
const SERIAL2 = new X509Certificate(certs.server2Cert).serialNumber;

/** One GET through `agent` (keep-alive) or a new connection; resolves with the peer's serial. */
function fetchSerial(port: number, agent: Agent | false): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, path: '/', ca: certs.caCert, agent }, (res) => {
      const serial = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber;
      let body = '';
      res.setEncoding('latin1').on('data', (d: string) => { body += d; }).on('end', () => {
        if (res.statusCode === 200 && body === 'hello') resolve(serial); else reject(new Error(`${res.statusCode} ${body}`));
      });
    });
    req.on('error', reject).end();
  });
}

describe.each(tlsEngines)('TLS rotation and hostile bytes on $engine', ({ engine, skip, noReload }) => {
  const cannotReload = skip || noReload;
  it.skipIf(cannotReload)(`reloadTls under load: no request fails, new connections get server2's certificate${why(cannotReload)}`, async () => {
    const server = await startTls(engine, hello);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    const loop = async (a: Agent | false): Promise<void> => {
      while (!stop) {
        try { seen.add(await fetchSerial(server.port, a)); ok++; } catch (e) { failures.push((e as Error).message); }
      }
    };
    const loops = [loop(agent), loop(agent), loop(false), loop(false)];
    while (ok < 100) await new Promise((r) => setImmediate(r));
    server.reloadTls({ cert: certs.server2Cert, key: certs.server2Key });
    const atReload = ok;
    while (ok < atReload + 100) await new Promise((r) => setImmediate(r));
    stop = true;
    await Promise.all(loops);
    agent.destroy();
    expect(failures).toEqual([]);
    expect(seen).toContain(SERIAL1);
    expect(seen).toContain(SERIAL2);
    expect(await fetchSerial(server.port, false)).toBe(SERIAL2);
  });

  it.skipIf(cannotReload)(`a bad reload throws TlsConfigError and the old certificate keeps serving${why(cannotReload)}`, async () => {
    const server = await startTls(engine, hello);
    expect(() => server.reloadTls({ cert: certs.server2Cert, key: certs.serverKey })).toThrow(TlsConfigError); // key does not match
    expect(() => server.reloadTls({ cert: 'not a certificate', key: certs.server2Key })).toThrow(TlsConfigError);
    expect(await fetchSerial(server.port, false)).toBe(SERIAL1);
  });

  it.skipIf(skip)(`garbage bytes and a truncated record on other connections never disturb a keep-alive one${why(skip)}`, async () => {
    const server = await startTls(engine, hello);
    const good = await tls(server.port);
    good.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await good.until((t) => responses(t).length === 1);
    // 1. random garbage before any handshake; 2. a handshake record cut short, then FIN;
    // 3. an application-data record with a bogus MAC after a real handshake.
    const garbage = await tcp(server.port);
    garbage.socket.write(Buffer.from('\x16\x03\x03\xff\xff\x00garbage\x00\xff'.repeat(50), 'latin1'));
    const truncated = await tcp(server.port);
    truncated.socket.end(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x40, 0x01, 0x00]));
    const bogusRecord = Buffer.concat([Buffer.from([0x17, 0x03, 0x03, 0x00, 0x20]), Buffer.alloc(32, 0xaa)]);
    const under = await tcp(server.port);
    const forged = await tls(server.port, { socket: under.socket });
    under.socket.write(bogusRecord); // beside the TLS layer, on the same TCP connection
    const raw = await tcp(server.port);
    raw.socket.write(bogusRecord);
    expect(await garbage.closed(3000)).toBeLessThan(3000);
    expect(await raw.closed(3000)).toBeLessThan(3000);
    expect(await forged.closed(3000)).toBeLessThan(3000);
    truncated.socket.destroy();
    good.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(responses(await good.until((t) => responses(t).length === 2)).map((r) => r.status)).toEqual([200, 200]);
    expect(good.open).toBe(true);
    good.socket.destroy();
    expect((await get(server.port)).status).toBe(200);
  });

  it.skipIf(skip)(`a client that resets mid-response leaves the server serving${why(skip)}`, async () => {
    const big: App = (_e, sr) => { sr('200 OK', TEXT); return [Buffer.alloc(4 * 1024 * 1024, 97)]; };
    const server = await startTls(engine, big);
    for (let i = 0; i < 5; i++) {
      // TLS over our own TCP socket: a TLSSocket cannot reset (resetAndDestroy throws
      // "This handle type cannot be sent"), its TCP socket can.
      const under = await tcp(server.port);
      const c = await tls(server.port, { socket: under.socket });
      c.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await c.until((t) => t.length > 10_000);
      (under.socket as import('node:net').Socket).resetAndDestroy();
    }
    const r = await get(server.port);
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(4 * 1024 * 1024);
  });
});
