// --max-worker-lifetime and --max-worker-rss recycle workers; --reload picks up a changed
// source file; a reload with a broken app keeps the old workers serving.
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, get, startTsgi, type Tsgi } from './helpers.js';
import { tempDir } from './nginx.js';

let server: Tsgi | undefined;
afterEach(async () => { await server?.stop('SIGKILL'); server = undefined; });

const versioned = (version: string): string => `export function app(environ, startResponse) {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return ['${version}'];
}
`;

describe('recycling and reloading', () => {
  it('--max-worker-lifetime replaces a worker after its lifetime', async () => {
    server = await startTsgi(['-k', 'node', '--max-worker-lifetime', '1', '-b', '127.0.0.1:0', 'app.mjs']);
    await server.waitForLog(/replacing worker \d+: lived longer than --max-worker-lifetime 1 s/);
    expect((await get(server.url + '/')).status).toBe(200);
  });

  it('--max-worker-rss replaces a worker above the limit', async () => {
    server = await startTsgi(['-k', 'node', '--max-worker-rss', '1', '-b', '127.0.0.1:0', 'app.mjs']);
    await server.waitForLog(/replacing worker \d+: resident memory \d+ MB > --max-worker-rss 1/);
    expect((await get(server.url + '/')).status).toBe(200);
  });

  it('--reload serves the new code after a source file changes; a broken edit keeps the old workers', async () => {
    const dir = tempDir();
    cpSync(join(FIXTURES, 'hello.mjs'), join(dir, 'hello.mjs'));
    writeFileSync(join(dir, 'app.mjs'), versioned('v1'));
    server = await startTsgi(['-k', 'node', '--reload', '-b', '127.0.0.1:0', 'app.mjs'], { cwd: dir });
    expect((await get(server.url + '/')).body).toBe('v1');
    let mark = server.stderr().length;
    writeFileSync(join(dir, 'app.mjs'), versioned('v2'));
    await server.waitForLog(/reload complete/, mark);
    expect((await get(server.url + '/')).body).toBe('v2');
    mark = server.stderr().length;
    writeFileSync(join(dir, 'app.mjs'), 'export const app = ;');
    await server.waitForLog(/could not boot[\s\S]*keeping worker/, mark);
    expect((await get(server.url + '/')).body).toBe('v2');
  });
});
