// resolveTls (src/tls-options.ts): what serveFast, reloadTls and the CLI accept as TLS
// settings, and the one-line TlsConfigError for everything they must refuse.

import { describe, expect, it } from 'vitest';
import { isTsgiError, serveFast } from '../src/index.js';
import { resolveTls } from '../src/tls-options.js';
import { ENCRYPTED_KEY_PASSPHRASE, tlsFixture } from './helpers/tls-certs.js';

const fx = tlsFixture();

function refusal(options: unknown): string {
  try {
    resolveTls(options, 'test');
  } catch (error) {
    expect(isTsgiError(error) && error.code).toBe('TSGI_ERR_TLS_CONFIG');
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('resolveTls accepted it');
}

describe('resolveTls', () => {
  it('accepts PEM strings and Buffers, applies defaults, and hands engines an unencrypted key', () => {
    const tls = resolveTls({ cert: Buffer.from(fx.serverCert), key: fx.serverKey }, 'test');
    expect(tls).toMatchObject({ minVersion: 'TLSv1.2', requestCert: false, rejectUnauthorized: true, handshakeTimeout: 10, ca: undefined });
    expect(tls.key).toContain('-----BEGIN PRIVATE KEY-----');
    expect(tls.subject).toContain('CN=tsgi-test-server');
  });

  it('decrypts an encrypted key with its passphrase', () => {
    const tls = resolveTls({ cert: fx.serverCert, key: fx.serverKeyEncrypted, passphrase: ENCRYPTED_KEY_PASSPHRASE }, 'test');
    expect(tls.key).toContain('-----BEGIN PRIVATE KEY-----');
    expect(tls.key).not.toContain('ENCRYPTED');
  });

  it('refuses what cannot be served, in one line naming the problem', () => {
    expect(refusal({ cert: 'not pem', key: fx.serverKey })).toMatch(/tls\.cert holds no PEM certificate/);
    expect(refusal({ cert: fx.serverCert, key: 'garbage' })).toMatch(/tls\.key is not a usable PEM private key/);
    expect(refusal({ cert: fx.serverCert, key: fx.server2Key })).toMatch(/does not match the certificate/);
    expect(refusal({ cert: fx.serverCert, key: fx.serverKeyEncrypted })).toMatch(/give its passphrase/);
    expect(refusal({ cert: fx.serverCert, key: fx.serverKeyEncrypted, passphrase: 'wrong' })).toMatch(/wrong passphrase/);
    expect(refusal({ cert: fx.serverCert, key: fx.serverKey, minVersion: 'TLSv1.1' })).toMatch(/minVersion/);
    expect(refusal({ cert: fx.serverCert, key: fx.serverKey, requestCert: true })).toMatch(/needs tls\.ca/);
    expect(refusal({ cert: fx.serverCert, key: fx.serverKey, sni: {} })).toMatch(/unknown tls option "sni"/);
    expect(refusal({ cert: fx.serverCert, key: fx.serverKey, handshakeTimeout: -1 })).toMatch(/handshakeTimeout/);
    expect(refusal({ cert: fx.serverCert, key: fx.serverKey, ca: 'nope' })).toMatch(/tls\.ca holds no PEM certificate/);
    expect(refusal(null)).toMatch(/tls must be an object/);
  });

  it('serveFast refuses a bad certificate before listening', async () => {
    await expect(serveFast(() => [], { port: 0, engine: 'node', tls: { cert: fx.serverCert, key: fx.server2Key } }))
      .rejects.toMatchObject({ code: 'TSGI_ERR_TLS_CONFIG' });
  });
});
