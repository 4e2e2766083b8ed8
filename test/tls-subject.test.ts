// SSL_CLIENT_S_DN on engine node: X509Certificate.subject turned into RFC 2253 must read
// exactly as OpenSSL prints it (`openssl x509 -nameopt RFC2253`, XN_FLAG_RFC2253, what
// the native engine and mod_ssl use), for names with multi-valued RDNs, escaped
// characters and UTF-8.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rfc2253FromMultiline } from '../src/engines/tls-subject.js';
import { CLIENT_SUBJECT, tlsFixture } from './helpers/tls-certs.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgi-subject-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate for `subject` (openssl -subj syntax, UTF-8). */
function certFor(subject: string, i: number): string {
  const out = join(dir, `c${i}.pem`);
  execFileSync('openssl', ['req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `k${i}.pem`),
    '-utf8', '-multivalue-rdn', '-subj', subject, '-days', '1', '-out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

/** What OpenSSL prints with XN_FLAG_RFC2253. */
function opensslRfc2253(file: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-subject', '-nameopt', 'RFC2253', '-in', file]).toString().replace(/^subject=/, '').trimEnd();
}

const SUBJECTS = [
  '/O=tsgi tests/CN=alice',
  '/C=DE/ST=Berlin/L=Berlin/O=Example, Inc./OU=R+D/CN=bob "the builder" <b@example.com>',
  '/O=Multi/CN=carol+UID=c42',
  '/CN=#leading hash; semi\\/slash/O= padded ',
  '/O=Zürich Ünïcode/CN=José 日本',
  '/DC=com/DC=example/CN=dave=eq\\\\back',
];

describe('RFC 2253 subjects (engine node) read as OpenSSL prints them', () => {
  it("the fixture's client certificate gives CLIENT_SUBJECT", () => {
    const file = tlsFixture().path('client');
    expect(opensslRfc2253(file)).toBe(CLIENT_SUBJECT);
    expect(rfc2253FromMultiline(new X509Certificate(readFileSync(file)).subject)).toBe(CLIENT_SUBJECT);
  });

  SUBJECTS.forEach((subject, i) => {
    it(`matches openssl for ${JSON.stringify(subject)}`, () => {
      const file = certFor(subject, i);
      const expected = opensslRfc2253(file);
      expect(expected.length).toBeGreaterThan(3);
      expect(rfc2253FromMultiline(new X509Certificate(readFileSync(file)).subject)).toBe(expected);
    });
  });
});
