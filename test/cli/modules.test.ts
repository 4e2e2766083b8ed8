// MODULE[:EXPORT]: ESM, CommonJS, factories, TypeScript where Node strips types.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, get, NODE, startTsgi, type Tsgi } from './helpers.js';

let server: Tsgi | undefined;
afterEach(async () => { await server?.stop('SIGKILL'); server = undefined; });

const nodeVersion = spawnSync(NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
const [major, minor] = nodeVersion.split('.').map(Number) as [number, number];
const stripsTypes = major > 22 || (major === 22 && minor >= 6);

describe('loading the app', () => {
  it('serves a CommonJS module.exports function', async () => {
    server = await startTsgi(['-k', 'node', '-b', '127.0.0.1:0', 'cjs-app.cjs']);
    expect((await get(server.url + '/')).body).toMatch(/^cjs \d+/);
  });

  it('serves a named export given as MODULE:EXPORT', async () => {
    server = await startTsgi(['-k', 'node', '-b', '127.0.0.1:0', 'hello.mjs:app']);
    expect((await get(server.url + '/')).body).toBe('Hello, World!');
  });

  it.runIf(stripsTypes)(`serves a .ts app through type stripping (Node ${nodeVersion})`, async () => {
    server = await startTsgi(['-k', 'node', '-b', '127.0.0.1:0', 'ts-app.ts']);
    expect((await get(server.url + '/')).body).toBe('typescript\n');
  });

  it.runIf(!stripsTypes)(`refuses a .ts app with a clear message, exit 2 (Node ${nodeVersion} cannot strip types)`, () => {
    const r = spawnSync(NODE, [CLI, 'ts-app.ts'], { cwd: FIXTURES, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/TypeScript apps need Node >= 22\.6/);
  });
});
