// proxyFix from serveFast, on every engine, over real sockets (the peer is 127.0.0.1):
// trust by count and by address, only well-formed values believed, Forwarded only when
// asked for. (Semantics without sockets: test/toolkit/proxy-fix.test.ts.)
import { describe, expect, it } from 'vitest';
import { proxyFix, type ProxyFixOptions } from '../../src/middleware/index.js';
import { exchangeRaw } from '../helpers/raw-http.js';
import { engines, start } from '../helpers/server.js';
import { echoEnviron } from '../toolkit/helpers.js';

const KEYS = ['REMOTE_ADDR', 'REMOTE_PORT', 'wsgi.url_scheme', 'HTTP_HOST', 'SERVER_NAME', 'SERVER_PORT', 'SCRIPT_NAME', 'tsgi.proxy_fix.orig'];

async function environFor(port: number, headers: Record<string, string>): Promise<Record<string, unknown>> {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const { responses } = await exchangeRaw(port, `GET / HTTP/1.1\r\nHost: app.local:8000\r\n${lines}Connection: close\r\n\r\n`);
  return JSON.parse(responses[0]!.body.toString()) as Record<string, unknown>;
}

describe.each(engines)('proxyFix on %s', (engine) => {
  const serve = async (options: ProxyFixOptions) => (await start(proxyFix(echoEnviron(...KEYS), options), engine)).port;

  it('by address: a trusted peer sets the client, scheme and host; the rightmost untrusted hop is the client', async () => {
    const port = await serve({ trustedProxies: ['127.0.0.1', '::1', '10.0.0.5'], xHost: 1 });
    const env = await environFor(port, { 'X-Forwarded-For': '6.6.6.6, 203.0.113.7, 10.0.0.5', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'shop.example' });
    expect(env).toMatchObject({ REMOTE_ADDR: '203.0.113.7', REMOTE_PORT: '', 'wsgi.url_scheme': 'https', HTTP_HOST: 'shop.example', SERVER_NAME: 'shop.example', SERVER_PORT: '443' });
    expect(env['tsgi.proxy_fix.orig']).toMatchObject({ REMOTE_ADDR: '127.0.0.1', HTTP_HOST: 'app.local:8000', 'wsgi.url_scheme': 'http' });
  });

  it('by address: an untrusted peer changes nothing', async () => {
    const port = await serve({ trustedProxies: ['10.0.0.5'], xHost: 1 });
    const env = await environFor(port, { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.test' });
    expect(env).toMatchObject({ REMOTE_ADDR: '127.0.0.1', 'wsgi.url_scheme': 'http', HTTP_HOST: 'app.local:8000' });
    expect(env['tsgi.proxy_fix.orig']).toBeUndefined();
  });

  it('by count: the value the Nth proxy from the right saw', async () => {
    const port = await serve({ xFor: 2 });
    expect(await environFor(port, { 'X-Forwarded-For': 'spoofed, 198.51.100.1, 10.0.0.5' })).toMatchObject({ REMOTE_ADDR: '198.51.100.1' });
    expect(await environFor(port, { 'X-Forwarded-For': '10.0.0.5' })).toMatchObject({ REMOTE_ADDR: '127.0.0.1' });
  });

  it.each<[string, ProxyFixOptions]>([['by address', { trustedProxies: ['127.0.0.1'], xHost: 1 }], ['by count', { xHost: 1, xPort: 1 }]])(
    '%s: values that are not an IP address, a scheme, a host or a port are ignored', async (_mode, options) => {
      const port = await serve(options);
      const env = await environFor(port, {
        'X-Forwarded-For': 'not-an-ip "quoted"', 'X-Forwarded-Proto': 'javascript', 'X-Forwarded-Host': 'evil.test/x y', 'X-Forwarded-Port': '65536',
      });
      expect(env).toMatchObject({ REMOTE_ADDR: '127.0.0.1', 'wsgi.url_scheme': 'http', HTTP_HOST: 'app.local:8000', SERVER_PORT: String(port) });
      expect(env['tsgi.proxy_fix.orig']).toBeUndefined();
      for (const badPort of ['0', '80a', '-1']) {
        expect(await environFor(port, { 'X-Forwarded-Port': badPort })).toMatchObject({ SERVER_PORT: String(port), HTTP_HOST: 'app.local:8000' });
      }
    });

  it('X-Forwarded-Port 1-65535 sets SERVER_PORT and the port in HTTP_HOST', async () => {
    const port = await serve({ xPort: 1 });
    expect(await environFor(port, { 'X-Forwarded-Port': '65535' })).toMatchObject({ SERVER_PORT: '65535', HTTP_HOST: 'app.local:65535' });
  });

  it('Forwarded (RFC 7239) is read only when enabled, and only without X-Forwarded-*', async () => {
    const forwarded = { Forwarded: 'for="[2001:db8::17]:4711";proto=https;host=a.example' };
    expect(await environFor(await serve({ trustedProxies: ['127.0.0.1'] }), forwarded)).toMatchObject({ REMOTE_ADDR: '127.0.0.1', 'wsgi.url_scheme': 'http' });
    const port = await serve({ trustedProxies: ['127.0.0.1'], xHost: 1, forwarded: true });
    expect(await environFor(port, forwarded)).toMatchObject({ REMOTE_ADDR: '2001:db8::17', 'wsgi.url_scheme': 'https', HTTP_HOST: 'a.example' });
    // A proxy that appends X-Forwarded-For passes the client's own Forwarded through.
    expect(await environFor(port, { ...forwarded, 'X-Forwarded-For': '203.0.113.7' })).toMatchObject({ REMOTE_ADDR: '203.0.113.7', 'wsgi.url_scheme': 'http' });
  });
});

describe('proxyFix options', () => {
  it('refuses bad counts, addresses and unknown options', () => {
    const app = echoEnviron();
    for (const bad of [{ xFor: -1 }, { xHost: 1.5 }, { trustedProxies: ['localhost'] }, { trustedProxies: '127.0.0.1' }, { forwarded: 'yes' }, { xfor: 1 }]) {
      expect(() => proxyFix(app, bad as ProxyFixOptions), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'TSGI_ERR_INVALID_OPTION' }));
    }
  });
});
