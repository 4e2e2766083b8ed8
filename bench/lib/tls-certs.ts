// Throwaway certificates for TLS tests and benchmarks (one implementation for both:
// test/helpers/tls-certs.ts re-exports this), made once per process with the openssl
// command-line tool: an ECDSA P-256 CA, two server certificates it signed (for rotation
// tests; both valid for localhost, 127.0.0.1 and ::1), a client certificate it signed, a
// client certificate from an unknown CA, and an encrypted copy of the server key.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsFixture {
  /** Directory holding every file below (`<name>.pem`), removed at process exit. */
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A second certificate for the same names (a "renewed" one), with its key. */
  server2Cert: string;
  server2Key: string;
  /** serverKey encrypted with ENCRYPTED_KEY_PASSPHRASE. */
  serverKeyEncrypted: string;
  clientCert: string;
  clientKey: string;
  /** Signed by a CA the server does not trust. */
  strangerCert: string;
  strangerKey: string;
  /** Absolute path of `<name>.pem` in dir (for curl, openssl s_client, nginx, the CLI). */
  path(name: 'ca' | 'server' | 'server-key' | 'server2' | 'server2-key' | 'server-key-encrypted' | 'client' | 'client-key' | 'stranger' | 'stranger-key'): string;
}

export const ENCRYPTED_KEY_PASSPHRASE = 'correct horse';
export const SERVER_SUBJECT_CN = 'tsgi-test-server';
export const CLIENT_SUBJECT = 'CN=alice,O=tsgi tests';

let cached: TlsFixture | undefined;

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function newKey(dir: string, name: string): void {
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.pem`]);
}

/** A certificate for `subject` signed by `ca` (its `<ca>.pem` and `<ca>-key.pem`). */
function signed(dir: string, name: string, subject: string, ca: string, extensions: string): void {
  newKey(dir, `${name}-key`);
  openssl(dir, ['req', '-new', '-key', `${name}-key.pem`, '-subj', subject, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`, '-CAcreateserial',
    '-days', '30', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
}

function selfSignedCa(dir: string, name: string, subject: string): void {
  newKey(dir, `${name}-key`);
  openssl(dir, ['req', '-x509', '-new', '-key', `${name}-key.pem`, '-subj', subject, '-days', '30', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', `${name}.pem`]);
}

const SERVER_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n';
const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n';

/** The fixture, made on first use (about 100 ms of openssl runs). */
export function tlsFixture(): TlsFixture {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-tls-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  selfSignedCa(dir, 'ca', '/CN=tsgi test CA');
  signed(dir, 'server', `/CN=${SERVER_SUBJECT_CN}`, 'ca', SERVER_EXT);
  signed(dir, 'server2', `/CN=${SERVER_SUBJECT_CN}`, 'ca', SERVER_EXT);
  signed(dir, 'client', '/O=tsgi tests/CN=alice', 'ca', CLIENT_EXT);
  selfSignedCa(dir, 'stranger-ca', '/CN=unknown CA');
  signed(dir, 'stranger', '/CN=mallory', 'stranger-ca', CLIENT_EXT);
  openssl(dir, ['pkey', '-in', 'server-key.pem', '-aes-256-cbc', '-passout', `pass:${ENCRYPTED_KEY_PASSPHRASE}`, '-out', 'server-key-encrypted.pem']);
  const read = (name: string): string => readFileSync(join(dir, `${name}.pem`), 'utf8');
  cached = {
    dir,
    caCert: read('ca'),
    serverCert: read('server'),
    serverKey: read('server-key'),
    server2Cert: read('server2'),
    server2Key: read('server2-key'),
    serverKeyEncrypted: read('server-key-encrypted'),
    clientCert: read('client'),
    clientKey: read('client-key'),
    strangerCert: read('stranger'),
    strangerKey: read('stranger-key'),
    path: (name) => join(dir, `${name}.pem`),
  };
  return cached;
}
