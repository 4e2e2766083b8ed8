// environ's TLS keys (HTTPS, SSL_PROTOCOL, SSL_CIPHER, SSL_CLIENT_VERIFY, SSL_CLIENT_S_DN,
// Apache mod_ssl's names) built from RequestHead.tls: present only when the facts say so,
// and then absent from enumeration, `in` and the materialized copy, never undefined-valued.
// test/tls runs the same keys through every engine that serves TLS with real clients.

import { describe, expect, it } from 'vitest';
import type { TlsFacts } from '../src/contract.js';
import { createEnviron } from '../src/environ.js';
import { BodyInput } from '../src/input.js';
import type { Environ } from '../src/types.js';
import { PlainRequestHead } from '../src/util/request-head.js';

const TLS_KEYS = ['HTTPS', 'SSL_PROTOCOL', 'SSL_CIPHER', 'SSL_CLIENT_VERIFY', 'SSL_CLIENT_S_DN'];

/** An environ over a GET whose connection has `tls`; `reads` counts reads of head.tls. */
function environWith(tls: TlsFacts | undefined, urlScheme = 'https'): { env: Environ; reads: () => number } {
  let reads = 0;
  const head = new PlainRequestHead({ method: 'GET', target: '/', headers: ['Host', 'h'] });
  Object.defineProperty(head, 'tls', { get: () => { reads++; return tls; } });
  const env = createEnviron({
    head, input: BodyInput.empty(),
    defaults: { urlScheme, multiprocess: false, errors: { write() {}, writelines() {}, flush() {} }, fileWrapper: () => [], serverName: 'srv' },
  });
  return { env, reads: () => reads };
}

const facts = (over: Partial<TlsFacts>): TlsFacts => ({
  protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', clientCertRequested: false, peerSubject: undefined, verify: 'NONE', ...over,
});

/** The TLS keys as the app sees them through each way of looking. */
function views(env: Environ): { keys: string[]; has: string[]; copy: Record<string, unknown> } {
  const copy = Object.fromEntries(Object.entries({ ...env }).filter(([k]) => TLS_KEYS.includes(k)));
  // Key order follows the order of first reads; compare in TLS_KEYS order.
  return { keys: TLS_KEYS.filter((k) => Object.keys(env).includes(k)), has: TLS_KEYS.filter((k) => k in env), copy };
}

describe('environ TLS keys', () => {
  it('a plain connection has none of them, in any view', () => {
    const { env } = environWith(undefined, 'http');
    expect(TLS_KEYS.map((k) => env[k])).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(views(env)).toEqual({ keys: [], has: [], copy: {} });
    expect(env['wsgi.url_scheme']).toBe('http');
  });

  it('TLS without requestCert: HTTPS on, protocol and cipher, no client keys', () => {
    const { env } = environWith(facts({ verify: 'NONE' }));
    expect(env.HTTPS).toBe('on');
    expect(env.SSL_PROTOCOL).toBe('TLSv1.3');
    expect(env.SSL_CIPHER).toBe('TLS_AES_128_GCM_SHA256');
    expect('SSL_CLIENT_VERIFY' in env).toBe(false);
    expect(env.SSL_CLIENT_S_DN).toBeUndefined();
    expect(views(env)).toEqual({
      keys: ['HTTPS', 'SSL_PROTOCOL', 'SSL_CIPHER'], has: ['HTTPS', 'SSL_PROTOCOL', 'SSL_CIPHER'],
      copy: { HTTPS: 'on', SSL_PROTOCOL: 'TLSv1.3', SSL_CIPHER: 'TLS_AES_128_GCM_SHA256' },
    });
    expect(env['wsgi.url_scheme']).toBe('https');
  });

  it('requestCert with a verified certificate: SSL_CLIENT_VERIFY SUCCESS and the subject', () => {
    const { env } = environWith(facts({ clientCertRequested: true, verify: 'SUCCESS', peerSubject: 'CN=alice,O=tsgi tests' }));
    expect(views(env).copy).toEqual({
      HTTPS: 'on', SSL_PROTOCOL: 'TLSv1.3', SSL_CIPHER: 'TLS_AES_128_GCM_SHA256',
      SSL_CLIENT_VERIFY: 'SUCCESS', SSL_CLIENT_S_DN: 'CN=alice,O=tsgi tests',
    });
  });

  it('requestCert without a certificate: SSL_CLIENT_VERIFY NONE and no SSL_CLIENT_S_DN', () => {
    const { env } = environWith(facts({ clientCertRequested: true, verify: 'NONE' }));
    expect(env.SSL_CLIENT_VERIFY).toBe('NONE');
    expect(views(env)).toEqual({
      keys: ['HTTPS', 'SSL_PROTOCOL', 'SSL_CIPHER', 'SSL_CLIENT_VERIFY'], has: ['HTTPS', 'SSL_PROTOCOL', 'SSL_CIPHER', 'SSL_CLIENT_VERIFY'],
      copy: { HTTPS: 'on', SSL_PROTOCOL: 'TLSv1.3', SSL_CIPHER: 'TLS_AES_128_GCM_SHA256', SSL_CLIENT_VERIFY: 'NONE' },
    });
  });

  it('an engine that cannot see protocol and cipher leaves those keys absent, HTTPS still on', () => {
    const { env } = environWith(facts({ protocol: undefined, cipher: undefined, clientCertRequested: true, verify: 'FAILED:unable to get local issuer certificate', peerSubject: 'CN=x' }));
    expect(views(env)).toEqual({
      keys: ['HTTPS', 'SSL_CLIENT_VERIFY', 'SSL_CLIENT_S_DN'], has: ['HTTPS', 'SSL_CLIENT_VERIFY', 'SSL_CLIENT_S_DN'],
      copy: { HTTPS: 'on', SSL_CLIENT_VERIFY: 'FAILED:unable to get local issuer certificate', SSL_CLIENT_S_DN: 'CN=x' },
    });
  });

  it('is lazy: head.tls is not read until a TLS key is, and each key is computed once', () => {
    const { env, reads } = environWith(facts({}));
    expect(env.REQUEST_METHOD).toBe('GET');
    expect(reads()).toBe(0);
    expect(env.HTTPS).toBe('on');
    expect(env.HTTPS).toBe('on');
    expect(reads()).toBe(1);
  });

  it('keys stay writable and deletable like any other, and a deleted one is not recomputed', () => {
    const { env } = environWith(facts({}));
    delete env.HTTPS;
    expect('HTTPS' in env).toBe(false);
    expect(Object.keys(env)).not.toContain('HTTPS');
    env.SSL_CIPHER = 'x';
    expect({ ...env }.SSL_CIPHER).toBe('x');
  });

  it('wsgi.url_scheme stays the server setting (a proxy in front may terminate TLS)', () => {
    expect(environWith(facts({}), 'http').env['wsgi.url_scheme']).toBe('http');
    expect(environWith(undefined, 'https').env['wsgi.url_scheme']).toBe('https');
  });
});
