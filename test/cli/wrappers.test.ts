// The pieces of the middleware the CLI composes, tested without a server (the same
// middleware over real sockets: test/middleware/*, and the CLI's flags: proxy.test.ts,
// timeouts.test.ts).
import { describe, expect, it } from 'vitest';
import { compileFormat, logPath, logText, type AccessRecord } from '../../src/middleware/access-log-format.js';
import { createTrust, parseForwarded, validAddress, validHost, validPort } from '../../src/middleware/forwarded.js';

const request = {
  REQUEST_METHOD: 'GET', SCRIPT_NAME: '', PATH_INFO: '/p', QUERY_STRING: 'a=1', SERVER_PROTOCOL: 'HTTP/1.1', REMOTE_ADDR: '127.0.0.1',
  HTTP_USER_AGENT: 'ua', HTTP_X_ID: '7', HTTP_AUTHORIZATION: 'Basic ' + Buffer.from('ann:pw').toString('base64'),
};

describe('access log format', () => {
  it('renders gunicorn atoms', () => {
    const format = compileFormat('%(h)s %(u)s "%(r)s" %(s)s %(b)s %(B)s %(D)s %(M)s %(L)s "%(a)s" %(f)s %({x-id}i)s %({content-type}o)s %(m)s %(U)s %(q)s %(H)s %(t)s');
    const record: AccessRecord = {
      request, status: '201 Created', headers: [['Content-Type', 'text/plain']], bytes: 12, startedAt: new Date(2000, 9, 10, 13, 55, 36).getTime(), elapsedUs: 1234.567,
    };
    expect(format.render(record)).toMatch(/^127\.0\.0\.1 ann "GET \/p\?a=1 HTTP\/1\.1" 201 12 12 1234 1 0\.001235 "ua" - 7 text\/plain GET \/p a=1 HTTP\/1\.1 \[10\/Oct\/2000:13:55:36 [+-]\d{4}\]$/);
    expect(format.timed).toBe(true);
  });

  it('names exactly the environ keys it reads, so only those are copied per request', () => {
    expect(compileFormat('%(s)s %(b)s').keys).toEqual([]);
    expect([...compileFormat('%(h)s "%(r)s" %({x-id}i)s %({content-length}i)s').keys].sort()).toEqual(
      ['CONTENT_LENGTH', 'HTTP_X_ID', 'PATH_INFO', 'QUERY_STRING', 'REMOTE_ADDR', 'REQUEST_METHOD', 'SCRIPT_NAME', 'SERVER_PROTOCOL']);
    expect(compileFormat('%(h)s %(t)s').timed).toBe(false);
  });

  it('escapes request text so no value can end a quoted field or a line (nginx escape=default)', () => {
    expect(logText('Mozilla/5.0 "x" \\ \r\n\x7f é')).toBe('Mozilla/5.0 \\x22x\\x22 \\x5C \\x0D\\x0A\\x7F \\xE9');
    expect(logText('')).toBe('-');
    // PATH_INFO is percent-decoded latin-1: encode it again into a target path.
    expect(logPath('/a b/"c"/%/\xc3\xa9;x=1')).toBe('/a%20b/%22c%22/%25/%C3%A9;x=1');
    const line = compileFormat('"%(r)s" "%(a)s"').render({ request: { ...request, PATH_INFO: '/x y', HTTP_USER_AGENT: 'a" "b' }, status: '200', headers: [], bytes: 0, startedAt: 0, elapsedUs: 0 });
    expect(line).toBe('"GET /x%20y?a=1 HTTP/1.1" "a\\x22 \\x22b"');
  });
});

describe('forwarding header syntax', () => {
  it('parses RFC 7239 Forwarded', () => {
    expect(parseForwarded('for=192.0.2.60;proto=https;host=a.example, for="[2001:db8:cafe::17]:4711"')).toEqual([
      { for: '192.0.2.60', proto: 'https', host: 'a.example' }, { for: '[2001:db8:cafe::17]:4711' },
    ]);
  });

  it('accepts only IP addresses, ports 1-65535 and URI hosts', () => {
    expect(validAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(validAddress('[2001:db8::1]:4711')).toBe('2001:db8::1');
    expect(validAddress('203.0.113.7:8080')).toBe('203.0.113.7');
    expect(validAddress('::ffff:10.0.0.1')).toBe('10.0.0.1');
    for (const bad of ['not-an-ip "quoted"', 'unknown', '_hidden', '', '1.2.3', '999.1.1.1', 'a b']) expect(validAddress(bad)).toBeUndefined();
    expect(['1', '443', '65535'].map(validPort)).toEqual(['1', '443', '65535']);
    for (const bad of ['0', '65536', '80a', '-1', '', ' 80', '99999']) expect(validPort(bad)).toBeUndefined();
    expect(validHost('shop.example:8443')).toBe('shop.example:8443');
    expect(validHost('[::1]:80')).toBe('[::1]:80');
    for (const bad of ['a b', 'evil.test/x', 'x"y', 'h\r\nX: 1', '']) expect(validHost(bad)).toBeUndefined();
  });

  it("trusts listed addresses in any spelling; '*' trusts everyone", () => {
    const trusted = createTrust(['127.0.0.1', '::1']);
    expect(trusted('::ffff:127.0.0.1')).toBe(true);
    expect(trusted('[::1]')).toBe(true);
    expect(trusted('10.0.0.1')).toBe(false);
    expect(trusted('')).toBe(false);
    expect(createTrust(['*'])('10.1.1.1')).toBe(true);
  });
});
