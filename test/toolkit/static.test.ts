import { mkdirSync, mkdtempSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileWrapper } from '../../src/file-wrapper.js';
import type { App } from '../../src/types.js';
import { staticFiles } from '../../src/middleware/index.js';
import { testClient } from '../../src/testing/index.js';
import { setupTestingDefaults } from '../../src/util/index.js';
import { validator } from '../../src/validate/index.js';
import { engines, rawRequest, serve } from './helpers.js';

const base = mkdtempSync(join(tmpdir(), 'tsgi-static-'));
const root = join(base, 'public');
mkdirSync(join(root, 'docs'), { recursive: true });
mkdirSync(join(root, 'empty-dir'));
const content = Buffer.from('0123456789abcdefghij'); // 20 bytes
writeFileSync(join(root, 'data.txt'), content);
writeFileSync(join(root, 'index.html'), '<h1>home</h1>');
writeFileSync(join(root, 'docs', 'index.html'), '<h1>docs</h1>');
writeFileSync(join(root, 'app.js'), 'export {}');
writeFileSync(join(root, 'blob.xyz'), 'b');
writeFileSync(join(root, 'empty.txt'), '');
writeFileSync(join(root, '.env'), 'SECRET=1');
writeFileSync(join(root, 'caf\u00e9.txt'), 'accent');
writeFileSync(join(base, 'secret.txt'), 'TOP SECRET');
symlinkSync(join(base, 'secret.txt'), join(root, 'link-out.txt'));
symlinkSync(base, join(root, 'dir-out'));
symlinkSync(join(root, 'data.txt'), join(root, 'link-in.txt'));
const mtime = new Date('2024-03-01T12:00:00Z');
utimesSync(join(root, 'data.txt'), mtime, mtime);

const app: App = validator(staticFiles(root, { maxAge: 60 }));
const client = testClient(app);

describe.each(engines)('staticFiles over a socket (%s)', (engine) => {
  it('serves a file with type and validators; HEAD has no body', async () => {
    const server = await serve(app, engine);
    const res = await rawRequest(server.port, 'GET', '/data.txt');
    expect(res.status).toBe(200);
    expect(res.body.equals(content)).toBe(true);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['last-modified']).toBe(mtime.toUTCString());
    expect(res.headers.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['cache-control']).toBe('public, max-age=60');
    const head = await rawRequest(server.port, 'HEAD', '/data.txt');
    expect([head.status, head.body.length]).toEqual([200, 0]);
  });

  // staticFiles leaves Content-Length to the server, which knows FileWrapper.length
  // (with sendfile, or in the gateway's sized streaming fallback).
  it('the server derives Content-Length from the FileWrapper (GET, HEAD, 206)', async () => {
    const server = await serve(app, engine);
    const res = await rawRequest(server.port, 'GET', '/data.txt');
    expect(res.headers['content-length']).toBe('20');
    const head = await rawRequest(server.port, 'HEAD', '/data.txt');
    expect(head.headers['content-length']).toBe('20');
    const partial = await rawRequest(server.port, 'GET', '/data.txt', { Range: 'bytes=2-5' });
    expect(partial.headers['content-length']).toBe('4');
  });

  it.each([
    ['/../secret.txt'],
    ['/%2e%2e/secret.txt'],
    ['/%2e%2e%2fsecret.txt'],
    ['/docs/..%2f..%2fsecret.txt'],
    ['/..%5csecret.txt'],
    ['/data.txt%00.html'],
    ['/link-out.txt'],
    ['/dir-out/secret.txt'],
    ['/%2E%2E/%2E%2E/etc/passwd'],
    ['/.env'],
  ])('refuses traversal %s', async (path) => {
    const server = await serve(app, engine);
    const res = await rawRequest(server.port, 'GET', path);
    expect([400, 404]).toContain(res.status);
    expect(res.body.toString()).not.toContain('SECRET');
  });

  it('Range: 206 with Content-Range, suffix and open ranges; 416 past the end', async () => {
    const server = await serve(app, engine);
    const partial = await rawRequest(server.port, 'GET', '/data.txt', { Range: 'bytes=2-5' });
    expect([partial.status, partial.body.toString(), partial.headers['content-range']]).toEqual([206, '2345', 'bytes 2-5/20']);
    const suffix = await rawRequest(server.port, 'GET', '/data.txt', { Range: 'bytes=-3' });
    expect([suffix.status, suffix.body.toString(), suffix.headers['content-range']]).toEqual([206, 'hij', 'bytes 17-19/20']);
    const open = await rawRequest(server.port, 'GET', '/data.txt', { Range: 'bytes=18-' });
    expect([open.status, open.body.toString()]).toEqual([206, 'ij']);
    const clamp = await rawRequest(server.port, 'GET', '/data.txt', { Range: 'bytes=15-999' });
    expect([clamp.status, clamp.body.toString(), clamp.headers['content-range']]).toEqual([206, 'fghij', 'bytes 15-19/20']);
    const beyond = await rawRequest(server.port, 'GET', '/data.txt', { Range: 'bytes=20-' });
    expect([beyond.status, beyond.headers['content-range']]).toEqual([416, 'bytes */20']);
  });
});

describe('staticFiles (in process)', () => {
  it('serves index.html for directories and redirects a directory without its slash', async () => {
    expect((await client.get('/')).text).toBe('<h1>home</h1>');
    expect((await client.get('/docs/')).text).toBe('<h1>docs</h1>');
    const redirect = await client.get('/docs?x=1');
    expect([redirect.status, redirect.headers.get('location')]).toEqual([301, '/docs/?x=1']);
    expect((await client.get('/empty-dir/')).status).toBe(404);
  });

  it('Content-Type by extension, octet-stream for unknown', async () => {
    expect((await client.get('/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await client.get('/blob.xyz')).headers.get('content-type')).toBe('application/octet-stream');
    expect((await client.get('/index.html')).headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('decodes UTF-8 names, and refuses paths that are not UTF-8', async () => {
    expect((await client.get('/caf%C3%A9.txt')).text).toBe('accent');
    expect((await client.get('/caf%E9.txt')).status).toBe(400);
  });

  it('a file path with a trailing slash is not found', async () => {
    expect((await client.get('/data.txt/')).status).toBe(404);
  });

  it('follows symlinks that stay inside the root', async () => {
    expect((await client.get('/link-in.txt')).text).toBe(content.toString());
  });

  it('304 on If-None-Match (weak or list or *) and If-Modified-Since, without Content-Type', async () => {
    const first = await client.get('/data.txt');
    const etag = first.headers.get('etag')!;
    for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const res = await client.get('/data.txt', { headers: { 'If-None-Match': inm } });
      expect([res.status, res.text, res.headers.get('etag'), res.headers.has('content-type')]).toEqual([304, '', etag, false]);
    }
    expect((await client.get('/data.txt', { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);
    expect((await client.get('/data.txt', { headers: { 'If-Modified-Since': mtime.toUTCString() } })).status).toBe(304);
    expect((await client.get('/data.txt', { headers: { 'If-Modified-Since': new Date(mtime.getTime() - 1000).toUTCString() } })).status).toBe(200);
    // RFC 9110 §13.2.2: If-None-Match wins over If-Modified-Since.
    expect((await client.get('/data.txt', { headers: { 'If-None-Match': '"other"', 'If-Modified-Since': mtime.toUTCString() } })).status).toBe(200);
  });

  it('412 on a failed If-Match', async () => {
    expect((await client.get('/data.txt', { headers: { 'If-Match': '"nope"' } })).status).toBe(412);
  });

  it('Range edge cases: several ranges, bad syntax, reversed, If-Range, HEAD, empty file', async () => {
    const full = async (range: string, extra: Record<string, string> = {}) => {
      const res = await client.get('/data.txt', { headers: { Range: range, ...extra } });
      return [res.status, res.text.length];
    };
    expect(await full('bytes=0-1,4-5')).toEqual([200, 20]);
    expect(await full('items=0-1')).toEqual([200, 20]);
    expect(await full('bytes=5-2')).toEqual([200, 20]);
    expect(await full('bytes=-')).toEqual([200, 20]);
    expect((await client.get('/data.txt', { headers: { Range: 'bytes=-0' } })).status).toBe(416);
    const etag = (await client.get('/data.txt')).headers.get('etag')!;
    expect(await full('bytes=0-1', { 'If-Range': etag })).toEqual([206, 2]);
    expect(await full('bytes=0-1', { 'If-Range': '"stale"' })).toEqual([200, 20]);
    expect(await full('bytes=0-1', { 'If-Range': mtime.toUTCString() })).toEqual([206, 2]);
    expect(await full('bytes=0-1', { 'If-Range': new Date(0).toUTCString() })).toEqual([200, 20]);
    expect((await client.head('/data.txt', { headers: { Range: 'bytes=0-1' } })).status).toBe(200);
    const empty = await client.get('/empty.txt', { headers: { Range: 'bytes=0-' } });
    expect([empty.status, empty.headers.get('content-range')]).toEqual([416, 'bytes */0']);
  });

  it('405 for other methods; fallthrough instead when given', async () => {
    const res = await client.post('/data.txt');
    expect([res.status, res.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const fallback: App = (_e, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return ['dynamic']; };
    const withFallback = testClient(staticFiles(root, { fallthrough: fallback }));
    expect((await withFallback.get('/missing')).text).toBe('dynamic');
    expect((await withFallback.post('/data.txt')).text).toBe('dynamic');
  });

  it('returns a FileWrapper body (sendfile-able) with the range, and no Content-Length header', async () => {
    const env = setupTestingDefaults({ PATH_INFO: '/data.txt', HTTP_RANGE: 'bytes=3-6' });
    let headers: readonly (readonly [string, string])[] = [];
    const body = staticFiles(root)(env, (_s, h) => { headers = h; return () => {}; }) as FileWrapper;
    expect(body).toBeInstanceOf(FileWrapper);
    expect([body.offset, body.length]).toEqual([3, 4]);
    expect(headers.some(([k]) => k.toLowerCase() === 'content-length')).toBe(false);
    body.close();
  });

  it('dotfiles can be allowed', async () => {
    expect((await testClient(staticFiles(root, { dotfiles: true })).get('/.env')).text).toBe('SECRET=1');
  });
});
