import { describe, expect, it } from 'vitest';
import { proxyFix } from '../../src/middleware/index.js';
import { testClient } from '../../src/testing/index.js';
import { requestUri } from '../../src/util/index.js';
import { validator } from '../../src/validate/index.js';
import { echoEnviron } from './helpers.js';

const keys = ['REMOTE_ADDR', 'wsgi.url_scheme', 'HTTP_HOST', 'SERVER_NAME', 'SERVER_PORT', 'SCRIPT_NAME'];
const withUrl = proxyFix(validator((e, sr) => {
  sr('200 OK', [['Content-Type', 'application/json']]);
  const out: Record<string, unknown> = { url: requestUri(e), orig: e['tsgi.proxy_fix.orig'] };
  for (const k of keys) out[k] = e[k];
  return [JSON.stringify(out)];
}), { xFor: 1, xProto: 1, xHost: 1, xPort: 1, xPrefix: 1 });

describe('proxyFix', () => {
  it('defaults trust X-Forwarded-For and -Proto from one proxy only', async () => {
    const res = await testClient(proxyFix(echoEnviron(...keys)), { remoteAddress: '10.0.0.2' }).get('/', {
      headers: { 'X-Forwarded-For': '1.1.1.1, 2.2.2.2', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.test' },
    });
    expect(res.json()).toMatchObject({ REMOTE_ADDR: '2.2.2.2', 'wsgi.url_scheme': 'https', HTTP_HOST: 'localhost', SERVER_NAME: 'localhost' });
  });

  it('takes the value the Nth proxy from the right saw, so a client cannot spoof it', async () => {
    const twoHops = testClient(proxyFix(echoEnviron('REMOTE_ADDR'), { xFor: 2 }), { remoteAddress: '10.0.0.2' });
    expect((await twoHops.get('/', { headers: { 'X-Forwarded-For': 'spoofed, 1.1.1.1, 2.2.2.2' } })).json()).toEqual({ REMOTE_ADDR: '1.1.1.1' });
    // Fewer values than trusted hops: the header is not trusted at all.
    expect((await twoHops.get('/', { headers: { 'X-Forwarded-For': '2.2.2.2' } })).json()).toEqual({ REMOTE_ADDR: '10.0.0.2' });
  });

  it('rewrites host, port and prefix so URLs are rebuilt as the client saw them', async () => {
    const res = await testClient(withUrl, { remoteAddress: '10.0.0.2' }).get('/x?q=1', {
      headers: { 'X-Forwarded-For': '3.3.3.3', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'shop.example', 'X-Forwarded-Port': '8443', 'X-Forwarded-Prefix': '/store/' },
    });
    const body = res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ url: 'https://shop.example:8443/store/x?q=1', REMOTE_ADDR: '3.3.3.3', SERVER_NAME: 'shop.example', SERVER_PORT: '8443', SCRIPT_NAME: '/store' });
    expect(body.orig).toMatchObject({ REMOTE_ADDR: '10.0.0.2', HTTP_HOST: 'localhost', 'wsgi.url_scheme': 'http' });
  });

  it('ignores an X-Forwarded-Proto that is not http or https, and bad ports', async () => {
    const res = await testClient(withUrl).get('/', { headers: { 'X-Forwarded-Proto': 'javascript', 'X-Forwarded-Port': '80a' } });
    expect(res.json()).toMatchObject({ 'wsgi.url_scheme': 'http', SERVER_PORT: '80' });
  });

  it('validates its options', () => {
    expect(() => proxyFix(echoEnviron(), { xFor: -1 })).toThrow(TypeError);
  });
});
