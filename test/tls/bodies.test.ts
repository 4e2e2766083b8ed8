// Large bodies both ways and the sendfile path (wsgi.file_wrapper) over TLS, checked
// byte for byte with sha256 by real clients (node:https, curl, python3).

import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { certs, run, startTls, TEXT, tlsEngines, why } from './lab.js';

const SIZE = 20 * 1024 * 1024;
const CHUNK = 64 * 1024;
/** The download: SIZE bytes from a generator, chunk i filled with byte i % 251. */
const chunk = (i: number): Buffer => Buffer.alloc(CHUNK, i % 251);
const DOWNLOAD_SHA = (() => { const h = createHash('sha256'); for (let i = 0; i < SIZE / CHUNK; i++) h.update(chunk(i)); return h.digest('hex'); })();

const download: App = (_e, sr) => {
  sr('200 OK', [['Content-Type', 'application/octet-stream'], ['Content-Length', String(SIZE)]]);
  return (function* () { for (let i = 0; i < SIZE / CHUNK; i++) yield chunk(i); })();
};
const uploadSha: App = (e, sr) => {
  const h = createHash('sha256');
  let n = 0;
  for (let part = e['wsgi.input'].read(CHUNK); part.length > 0; part = e['wsgi.input'].read(CHUNK)) { h.update(part); n += part.length; }
  sr('200 OK', TEXT);
  return [`${n} ${h.digest('hex')}`];
};

const dir = mkdtempSync(join(tmpdir(), 'tsgi-tls-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FILE = join(dir, 'file.bin');
const FILE_BYTES = randomBytes(3 * 1024 * 1024 + 17);
writeFileSync(FILE, FILE_BYTES);
const fileApp: App = (e, sr) => { sr('200 OK', [['Content-Type', 'application/octet-stream']]); return e['wsgi.file_wrapper'](FILE); };

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const PYTHON_UPLOAD = `
import hashlib, http.client, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
body = bytes(range(256)) * (${SIZE} // 256)
c = http.client.HTTPSConnection("localhost", int(sys.argv[1]), context=ctx)
c.request("POST", "/", body=body, headers={"Content-Type": "application/octet-stream"})
r = c.getresponse()
sys.stdout.write(str(r.status) + " " + r.read().decode() + " " + hashlib.sha256(body).hexdigest())
`;

describe.each(tlsEngines)('TLS bodies on $engine', ({ engine, skip }) => {
  it.skipIf(skip)(`a 20 MB upload (node:https) arrives intact${why(skip)}`, async () => {
    const server = await startTls(engine, uploadSha, {}, { bodyMemoryLimit: 1024 * 1024 });
    const body = randomBytes(SIZE);
    const answer = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', servername: 'localhost', port: server.port, method: 'POST', path: '/', ca: certs.caCert, agent: false,
        headers: { 'Content-Length': String(SIZE), 'Content-Type': 'application/octet-stream' } }, (res) => {
        let b = '';
        res.setEncoding('latin1').on('data', (d: string) => { b += d; }).on('end', () => resolve(`${res.statusCode} ${b}`));
      });
      req.on('error', reject).end(body);
    });
    expect(answer).toBe(`200 ${SIZE} ${sha(body)}`);
  });

  it.skipIf(skip)(`a 20 MB upload (python3 http.client) arrives intact${why(skip)}`, async () => {
    const server = await startTls(engine, uploadSha);
    const r = await run('python3', ['-c', PYTHON_UPLOAD, String(server.port), certs.path('ca')], '', 30_000);
    expect(r.stderr).toBe('');
    const [status, length, got, sent] = r.stdout.toString().split(' ');
    expect([status, length]).toEqual(['200', String(SIZE)]);
    expect(got).toBe(sent);
  });

  it.skipIf(skip)(`a 20 MB download (curl) arrives intact${why(skip)}`, async () => {
    const server = await startTls(engine, download);
    const r = await run('curl', ['-sS', '--cacert', certs.path('ca'), `https://localhost:${server.port}/`], '', 30_000);
    expect(r.stderr).toBe('');
    expect(r.stdout.length).toBe(SIZE);
    expect(sha(r.stdout)).toBe(DOWNLOAD_SHA);
  });

  it.skipIf(skip)(`wsgi.file_wrapper (the sendfile path) over TLS sends the file intact, twice on one connection${why(skip)}`, async () => {
    const server = await startTls(engine, fileApp);
    const url = `https://localhost:${server.port}/`;
    // curl reuses the connection for the second URL (keep-alive).
    const r = await run('curl', ['-sS', '--cacert', certs.path('ca'), url, url], '', 30_000);
    expect(r.stderr).toBe('');
    expect(r.stdout.length).toBe(2 * FILE_BYTES.length);
    expect(sha(r.stdout)).toBe(sha(Buffer.concat([FILE_BYTES, FILE_BYTES])));
  });
});
