// The examples, started the way the docs say (`node dist/examples/<name>/serve.js`, or
// `npm start` for hello), against the built package (they import 'tsgi/…' through
// package self-reference: `npm test` compiles src/ and examples/ to dist/ first).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from './helpers.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(`${repo}dist/src/middleware/index.js`) && existsSync(`${repo}dist/examples/hello/serve.js`);
const children: ChildProcess[] = [];
afterEach(() => { for (const child of children.splice(0)) child.kill(); });

/** Start an example on port 0 and resolve with its port once it says it listens. */
function start(name: string): Promise<number> {
  const child = spawn(process.execPath, [`dist/examples/${name}/serve.js`], { cwd: repo, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/[^:]+:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.once('exit', (code) => reject(new Error(`examples/${name} exited with ${code}: ${err}`)));
  });
}

describe.skipIf(!built)('examples (needs `npm run build`)', () => {
  it('hello: the app `npm start` serves', async () => {
    const port = await start('hello');
    const res = await rawRequest(port, 'GET', '/');
    expect([res.status, res.headers['content-type'], res.body.toString()]).toEqual([200, 'text/plain; charset=utf-8', 'Hello, World!']);
  });

  it('static: page, conditional GET, range, gzip', async () => {
    const port = await start('static');
    const page = await rawRequest(port, 'GET', '/');
    expect([page.status, page.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.body.toString()).toContain('Served by tsgi');
    expect((await rawRequest(port, 'GET', '/', { 'If-None-Match': String(page.headers.etag) })).status).toBe(304);
    const range = await rawRequest(port, 'GET', '/notes.txt', { Range: 'bytes=0-3' });
    expect([range.status, range.body.toString()]).toEqual([206, 'tsgi']);
    const gz = await rawRequest(port, 'GET', '/notes.txt', { 'Accept-Encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toContain('Line 40:');
    // Under compress's 1 KiB threshold: sent as is, with Vary for caches.
    const small = await rawRequest(port, 'GET', '/style.css', { 'Accept-Encoding': 'gzip' });
    expect([small.headers['content-encoding'], small.headers.vary]).toEqual([undefined, 'Accept-Encoding']);
    expect((await rawRequest(port, 'GET', '/../package.json')).status).toBe(404);
  });

  it('streaming: counted lines and server-sent events', async () => {
    const port = await start('streaming');
    const count = await rawRequest(port, 'GET', '/count?n=3&delay=0');
    expect([count.headers['transfer-encoding'], count.body.toString()]).toEqual(['chunked', '1\n2\n3\n']);
    const events = await rawRequest(port, 'GET', '/events?limit=2');
    expect(events.headers['content-type']).toBe('text/event-stream');
    expect(events.body.toString().match(/^data: tick \d/gm)).toHaveLength(2);
  });

  it('upload: multipart fields and files, hashed while streaming', async () => {
    const port = await start('upload');
    const file = Buffer.alloc(100_000, 'q');
    const b = 'exampleBoundary42';
    const body = Buffer.concat([
      Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n`),
      Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="q.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${b}--\r\n`),
    ]);
    const res = await rawRequest(port, 'POST', '/upload', { 'Content-Type': `multipart/form-data; boundary=${b}` }, body);
    expect(JSON.parse(res.body.toString())).toEqual({
      fields: { note: 'hello' },
      files: [{ field: 'file', filename: 'q.bin', type: 'application/octet-stream', size: file.length, sha256: createHash('sha256').update(file).digest('hex') }],
    });
    expect((await rawRequest(port, 'POST', '/upload', { 'Content-Type': 'multipart/form-data; boundary=x' }, 'garbage')).status).toBe(400);
    expect((await rawRequest(port, 'GET', '/')).body.toString()).toContain('enctype="multipart/form-data"');
  });

  it('api: create, read, search, delete, errors', async () => {
    const port = await start('api');
    const created = await rawRequest(port, 'POST', '/items', { 'Content-Type': 'application/json' }, '{"name":"Pear"}');
    expect([created.status, created.headers.location]).toEqual([201, '/items/1']);
    expect(created.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse((await rawRequest(port, 'GET', '/items/1')).body.toString())).toEqual({ id: 1, name: 'Pear' });
    expect(JSON.parse((await rawRequest(port, 'GET', '/items?q=pe')).body.toString())).toEqual([{ id: 1, name: 'Pear' }]);
    expect((await rawRequest(port, 'POST', '/items', {}, 'not json')).status).toBe(400);
    expect((await rawRequest(port, 'PATCH', '/items')).headers.allow).toBe('GET, POST');
    expect((await rawRequest(port, 'DELETE', '/items/1')).status).toBe(204);
    expect((await rawRequest(port, 'GET', '/items/1')).status).toBe(404);
    expect((await rawRequest(port, 'GET', '/nowhere')).status).toBe(404);
    expect(JSON.parse((await rawRequest(port, 'GET', '/health')).body.toString())).toEqual({ ok: true, items: 0 });
  });
});
