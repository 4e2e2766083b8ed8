// --forwarded-allow-ips (proxyFix by trusted address) and --access-log (accessLog), from
// the spawned CLI: forwarded values only from listed peers and only when well formed; the
// access log shows the client's address and the request as received.
import { afterEach, describe, expect, it } from 'vitest';
import { get, startTsgi, type Tsgi } from './helpers.js';

let server: Tsgi | undefined;
afterEach(async () => { await server?.stop('SIGKILL'); server = undefined; });

const forged = { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'shop.example' };
const report = async (headers: Record<string, string>, path = '/'): Promise<Record<string, string>> =>
  JSON.parse((await get(server!.url + path, { headers })).body) as Record<string, string>;

/** The access log's lines so far, once there are `n`. */
async function accessLines(n: number): Promise<string[]> {
  const lines = (): string[] => server!.stdout().split('\n').filter(Boolean);
  while (lines().length < n) await new Promise((r) => server!.proc.stdout!.once('data', r));
  return lines();
}

describe('proxy headers', () => {
  it('ignores X-Forwarded-* from a peer that is not in --forwarded-allow-ips', async () => {
    server = await startTsgi(['-k', 'node', '--forwarded-allow-ips', '10.0.0.1', '-b', '127.0.0.1:0', 'app.mjs']);
    const reply = await report(forged);
    expect(reply.remote).toBe('127.0.0.1');
    expect(reply.scheme).toBe('http');
    expect(reply.host).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('honours them from a trusted peer (default 127.0.0.1,::1)', async () => {
    server = await startTsgi(['-k', 'node', '-b', '127.0.0.1:0', 'app.mjs']);
    expect(await report(forged)).toMatchObject({ remote: '203.0.113.7', scheme: 'https', host: 'shop.example' });
  });

  it('takes only a valid IP address, scheme and host, even from a trusted peer', async () => {
    server = await startTsgi(['-k', 'node', '-b', '127.0.0.1:0', '--access-log', '-', '--access-log-format', '%(h)s "%(r)s" %(s)s', 'app.mjs']);
    const reply = await report({ 'X-Forwarded-For': 'not-an-ip "quoted"', 'X-Forwarded-Proto': 'gopher', 'X-Forwarded-Host': 'a b' });
    expect(reply).toMatchObject({ remote: '127.0.0.1', scheme: 'http' });
    expect(reply.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect((await accessLines(1))[0]).toBe('127.0.0.1 "GET / HTTP/1.1" 200');
  });

  it('RFC 7239 Forwarded counts only when no X-Forwarded-* is present', async () => {
    server = await startTsgi(['-k', 'node', '-b', '127.0.0.1:0', 'app.mjs']);
    expect(await report({ Forwarded: 'for=198.51.100.4;proto=https' })).toMatchObject({ remote: '198.51.100.4', scheme: 'https' });
    // nginx appends X-Forwarded-For and passes a client's own Forwarded through.
    expect(await report({ Forwarded: 'for=198.51.100.4', 'X-Forwarded-For': '203.0.113.7' })).toMatchObject({ remote: '203.0.113.7' });
  });

  it('rejects a --forwarded-allow-ips entry that is not an address', async () => {
    await expect(startTsgi(['-k', 'node', '--forwarded-allow-ips', '127.0.0.1,proxy.local', '-b', '127.0.0.1:0', 'app.mjs'])).rejects.toThrow(/--forwarded-allow-ips takes IP addresses or '\*', got "proxy\.local"/);
  });
});

describe('access log', () => {
  it('writes the client address', async () => {
    server = await startTsgi(['-k', 'node', '-b', '127.0.0.1:0', '--access-log', '-', '--access-log-format', '%(h)s "%(r)s" %(s)s %(b)s %(D)s', 'app.mjs']);
    await get(server.url + '/x?y=1', { headers: forged });
    expect((await accessLines(1))[0]).toMatch(/^203\.0\.113\.7 "GET \/x\?y=1 HTTP\/1\.1" 200 \d+ \d+$/);
  });

  it('logs the path as received under a mounted app, in the default format', async () => {
    server = await startTsgi(['-k', 'node', '-b', '127.0.0.1:0', '--access-log', '-', 'mounted.mjs']);
    expect(await report({ 'User-Agent': 'probe "1"' }, '/api/items/7?q=1')).toMatchObject({ script: '/api', path: '/items/7' });
    expect((await accessLines(1))[0]).toMatch(/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/api\/items\/7\?q=1 HTTP\/1\.1" 200 \d+ "-" "probe \\x221\\x22"$/);
  });
});
