// The app wrappers the CLI composes, tested without a server.
import { describe, expect, it } from 'vitest';
import { compileFormat, type AccessRecord } from '../../src/cli/access-log.js';
import { applyForwarded, createTrust, parseForwarded } from '../../src/cli/proxy-headers.js';
import type { Environ } from '../../src/types.js';

const environ = (extra: Record<string, unknown>): Environ => ({
  REQUEST_METHOD: 'GET', PATH_INFO: '/p', QUERY_STRING: 'a=1', SERVER_PROTOCOL: 'HTTP/1.1', REMOTE_ADDR: '127.0.0.1',
  'wsgi.url_scheme': 'http', ...extra,
} as unknown as Environ);

describe('access log format', () => {
  it('renders gunicorn atoms', () => {
    const record: AccessRecord = {
      environ: environ({ HTTP_USER_AGENT: 'ua', HTTP_X_ID: '7', HTTP_AUTHORIZATION: 'Basic ' + Buffer.from('ann:pw').toString('base64') }),
      status: '201 Created', headers: [['Content-Type', 'text/plain']], bytes: 12, startedAt: new Date(2000, 9, 10, 13, 55, 36), elapsedNs: 1_234_567n,
    };
    const line = compileFormat('%(h)s %(u)s "%(r)s" %(s)s %(b)s %(B)s %(D)s %(M)s %(L)s "%(a)s" %(f)s %({x-id}i)s %({content-type}o)s %(m)s %(U)s %(q)s %(H)s %(t)s')(record);
    expect(line).toMatch(/^127\.0\.0\.1 ann "GET \/p\?a=1 HTTP\/1\.1" 201 12 12 1234 1 0\.001234 "ua" - 7 text\/plain GET \/p a=1 HTTP\/1\.1 \[10\/Oct\/2000:13:55:36 [+-]\d{4}\]$/);
  });
});

describe('proxy headers', () => {
  const trusted = createTrust(['127.0.0.1', '::1']);

  it('ignores X-Forwarded-* from an untrusted peer', () => {
    const e = environ({ REMOTE_ADDR: '10.0.0.9', HTTP_X_FORWARDED_FOR: '1.2.3.4', HTTP_X_FORWARDED_PROTO: 'https' });
    applyForwarded(e, trusted);
    expect(e.REMOTE_ADDR).toBe('10.0.0.9');
    expect(e['wsgi.url_scheme']).toBe('http');
  });

  it('takes the rightmost untrusted hop from a trusted peer', () => {
    const e = environ({ REMOTE_ADDR: '::ffff:127.0.0.1', HTTP_X_FORWARDED_FOR: '6.6.6.6, 1.2.3.4, 127.0.0.1', HTTP_X_FORWARDED_PROTO: 'https', HTTP_X_FORWARDED_HOST: 'example.com' });
    applyForwarded(e, trusted);
    expect(e.REMOTE_ADDR).toBe('1.2.3.4');
    expect(e['wsgi.url_scheme']).toBe('https');
    expect(e.HTTP_HOST).toBe('example.com');
  });

  it('prefers Forwarded (RFC 7239)', () => {
    expect(parseForwarded('for=192.0.2.60;proto=https;host=a.example, for="[2001:db8:cafe::17]:4711"')).toEqual([
      { for: '192.0.2.60', proto: 'https', host: 'a.example' }, { for: '2001:db8:cafe::17' },
    ]);
    const e = environ({ HTTP_FORWARDED: 'for=192.0.2.60;proto=https;host=a.example', HTTP_X_FORWARDED_FOR: '9.9.9.9' });
    applyForwarded(e, trusted);
    expect(e.REMOTE_ADDR).toBe('192.0.2.60');
    expect(e['wsgi.url_scheme']).toBe('https');
    expect(e.HTTP_HOST).toBe('a.example');
  });

  it("'*' trusts everyone; a Unix socket peer (no address) is trusted", () => {
    const all = createTrust(['*']);
    const e = environ({ REMOTE_ADDR: '10.1.1.1', HTTP_X_FORWARDED_FOR: '1.1.1.1' });
    applyForwarded(e, all);
    expect(e.REMOTE_ADDR).toBe('1.1.1.1');
    expect(trusted('')).toBe(true);
  });
});
