// Engine uws over TLS where it differs (src/engines/uws-tls.ts, docs/engines.md): the
// options it cannot honour are refused rather than served weaker than asked; no rotation
// in place; an unfinished handshake is cut by uWS's fixed idle timer; the certificate and
// decrypted key reach uWS through a private directory that is gone once the app exists.

import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSslApp } from '../../src/engines/uws-tls.js';
import type { UwsApp, UwsModule, UwsSslOptions } from '../../src/engines/uws-loader.js';
import { InvalidOptionError, TlsConfigError } from '../../src/errors.js';
import { resolveTls } from '../../src/tls-options.js';
import type { App } from '../../src/types.js';
import { ENCRYPTED_KEY_PASSPHRASE } from '../helpers/tls-certs.js';
import { certs, get, startTls, tcp, TEXT, tlsEngines, why } from './lab.js';

const hello: App = (_e, sr) => { sr('200 OK', TEXT); return ['hello']; };
const uws = tlsEngines.find((e) => e.engine === 'uws');
const skip = uws === undefined ? 'engine uws is not among the engines under test' : uws.skip;

describe('TLS on uws: what it refuses and how it differs', () => {
  it.skipIf(skip)(`refuses requestCert, minVersion TLSv1.3 and a handshakeTimeout below 10 s with InvalidOptionError${why(skip)}`, async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ requestCert: true, ca: certs.caCert }, /engine uws cannot verify client certificates.*tls\.requestCert is refused/],
      [{ requestCert: true, rejectUnauthorized: false, ca: certs.caCert }, /tls\.requestCert is refused/],
      [{ minVersion: 'TLSv1.3' }, /engine uws cannot refuse TLS 1\.2.*tls\.minVersion 'TLSv1\.3' is refused/],
      [{ handshakeTimeout: 1 }, /fixed 10 s idle timer: tls\.handshakeTimeout 1 is refused/],
    ];
    for (const [tls, message] of cases) {
      const error = await startTls('uws', hello, tls).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toMatch(message);
    }
    // What it can honour is served.
    const server = await startTls('uws', hello, { handshakeTimeout: 30 });
    expect((await get(server.port)).body).toBe('hello');
  });

  it.skipIf(skip)(`a cipher list BoringSSL does not know is a TlsConfigError naming tls.ciphers${why(skip)}`, async () => {
    const error = await startTls('uws', hello, { ciphers: 'NOT-A-CIPHER' }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TlsConfigError);
    expect((error as Error).message).toMatch(/tls\.ciphers "NOT-A-CIPHER"/);
  });

  it.skipIf(skip)(`reloadTls is refused: uWS cannot swap certificates in place${why(skip)}`, async () => {
    const server = await startTls('uws', hello);
    expect(() => server.reloadTls({ cert: certs.server2Cert, key: certs.server2Key })).toThrow(/engine uws cannot swap certificates in place/);
    expect((await get(server.port)).status).toBe(200);
  });

  it.skipIf(skip)(`a silent client is closed by uWS's 10 s idle timer (10-15 s, it ticks every 4 s)${why(skip)}`, { timeout: 25_000 }, async () => {
    const server = await startTls('uws', hello);
    const silent = await tcp(server.port);
    const dribble = await tcp(server.port);
    // A ClientHello a byte every 500 ms: handshake bytes do not restart the timer.
    const clientHello = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);
    let i = 0;
    const drip = setInterval(() => { if (dribble.open) dribble.socket.write(clientHello.subarray(i % clientHello.length, (i++ % clientHello.length) + 1)); }, 500);
    const [a, b] = await Promise.all([silent.closed(20_000), dribble.closed(20_000)]);
    clearInterval(drip);
    for (const ms of [a, b]) {
      expect(ms).toBeGreaterThan(9_000);
      expect(ms).toBeLessThan(16_000);
    }
  });
});

describe('createSslApp (uws): the PEM files live only while SSLApp reads them', () => {
  it('writes them 0600 in a 0700 directory and removes the directory before returning, also when SSLApp throws', () => {
    const tls = resolveTls({ cert: certs.serverCert, key: certs.serverKeyEncrypted, passphrase: ENCRYPTED_KEY_PASSPHRASE }, 'test');
    const seen: { options: UwsSslOptions; modes: number[]; key: string }[] = [];
    const mod = {
      SSLApp(options: UwsSslOptions): UwsApp {
        const dir = options.key_file_name.replace(/\/[^/]+$/, '');
        seen.push({ options, modes: [dir, options.cert_file_name, options.key_file_name].map((p) => statSync(p).mode & 0o777), key: options.key_file_name });
        if (seen.length === 2) throw new Error('App construction failed');
        return {} as UwsApp;
      },
    } as unknown as UwsModule;
    createSslApp(mod, tls);
    expect(() => createSslApp(mod, { ...tls, ciphers: 'X' })).toThrow(TlsConfigError);
    expect(seen).toHaveLength(2);
    for (const s of seen) {
      expect(s.modes).toEqual([0o700, 0o600, 0o600]);
      expect(() => statSync(s.key)).toThrow(/ENOENT/);
      expect(() => statSync(s.key.replace(/\/[^/]+$/, ''))).toThrow(/ENOENT/);
    }
    expect(seen[1]!.options.ssl_ciphers).toBe('X');
  });
});
