// X-Forwarded-For / -Proto / -Host are honoured only from --forwarded-allow-ips.
import { afterEach, describe, expect, it } from 'vitest';
import { get, startTsgi, type Tsgi } from './helpers.js';

let server: Tsgi | undefined;
afterEach(async () => { await server?.stop('SIGKILL'); server = undefined; });

const forged = { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'shop.example' };

describe('proxy headers', () => {
  it('ignores X-Forwarded-* from a peer that is not in --forwarded-allow-ips', async () => {
    server = await startTsgi(['-k', 'node', '--forwarded-allow-ips', '10.0.0.1', '-b', '127.0.0.1:0', 'app.mjs']);
    const reply = JSON.parse((await get(server.url + '/', { headers: forged })).body) as Record<string, string>;
    expect(reply.remote).toBe('127.0.0.1');
    expect(reply.scheme).toBe('http');
    expect(reply.host).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('honours them from a trusted peer (default 127.0.0.1,::1)', async () => {
    server = await startTsgi(['-k', 'node', '-b', '127.0.0.1:0', 'app.mjs']);
    const reply = JSON.parse((await get(server.url + '/', { headers: forged })).body) as Record<string, string>;
    expect(reply).toMatchObject({ remote: '203.0.113.7', scheme: 'https', host: 'shop.example' });
  });

  it('writes the access log with the client address', async () => {
    server = await startTsgi(['-k', 'node', '-b', '127.0.0.1:0', '--access-log', '-', '--access-log-format', '%(h)s "%(r)s" %(s)s %(b)s %(D)s', 'app.mjs']);
    await get(server.url + '/x?y=1', { headers: forged });
    await new Promise<void>((resolve) => {
      const check = (): void => { if (server!.stdout().includes('\n')) resolve(); else setTimeout(check, 20); };
      check();
    });
    expect(server.stdout()).toMatch(/^203\.0\.113\.7 "GET \/x\?y=1 HTTP\/1\.1" 200 \d+ \d+\n/);
  });
});
