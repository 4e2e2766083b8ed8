// The production recipes of docs/deployment.md, tested for real with Debian's nginx:
// nginx in front over a Unix socket; nginx `upstream` over two tsgi instances, one
// stopped with SIGTERM mid-run, with no failed request.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { delay, get, loadRun, startTsgi, type Tsgi } from './helpers.js';
import { NGINX_MISSING, startNginx, tempDir, type Nginx } from './nginx.js';

const started: (Tsgi | Nginx)[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await ('proc' in s ? s.stop('SIGKILL') : s.stop());
});

describe.skipIf(NGINX_MISSING)(`nginx in front (${NGINX_MISSING ?? '/usr/sbin/nginx'})`, () => {
  it('reverse proxy over a Unix socket: the client address comes from X-Forwarded-For', async () => {
    const socket = join(tempDir(), 'tsgi.sock');
    const tsgi = await startTsgi(['-w', '2', '-b', `unix:${socket}`, 'app.mjs']);
    started.push(tsgi);
    const nginx = await startNginx([`unix:${socket}`]);
    started.push(nginx);
    const result = await loadRun(nginx.url, '/', 4, delay(500));
    expect(result.failures).toEqual([]);
    expect(result.byPid.size).toBe(2);
    const reply = JSON.parse((await get(nginx.url + '/')).body) as Record<string, string>;
    expect(reply.remote).toBe('127.0.0.1'); // the client, from nginx's X-Forwarded-For
    expect(reply.host).toBe(new URL(nginx.url).host);
    expect(tsgi.stderr()).toMatch(/Using engine node \(several workers share a Unix socket/);
  });

  it('upstream over two tsgi instances: one stopped with SIGTERM mid-run, no request fails', async () => {
    const a = await startTsgi(['-w', '1', '-b', '127.0.0.1:0', 'app.mjs']);
    const b = await startTsgi(['-w', '1', '-b', '127.0.0.1:0', 'app.mjs']);
    started.push(a, b);
    const nginx = await startNginx([new URL(a.url).host, new URL(b.url).host]);
    started.push(nginx);
    const run = (async () => {
      await delay(400);
      a.proc.kill('SIGTERM');
      expect(await a.exited).toBe(0);
      await delay(400);
    })();
    const result = await loadRun(nginx.url, '/slow?ms=20', 8, run);
    await run;
    expect(result.failures).toEqual([]);
    expect(result.byPid.size).toBe(2); // both answered before the stop
    expect(result.ok).toBeGreaterThan(50);
  });
});
