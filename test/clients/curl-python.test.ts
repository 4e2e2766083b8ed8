// Real command-line clients against every engine over plain HTTP: curl (connection reuse,
// Expect: 100-continue, chunked uploads, --compressed, HEAD) and Python's http.client and
// urllib (keep-alive, a streamed response read line by line as it is sent). TLS has its
// own real-client tests in test/tls/.

import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { compress } from '../../src/middleware/index.js';
import type { App, InputStream } from '../../src/types.js';
import { engines, start } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgi-clients-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const upload = Buffer.alloc(2 * 1024 * 1024);
for (let i = 0; i < upload.length; i++) upload[i] = (i * 131 + 17) & 0xff;
const uploadPath = join(dir, 'upload.bin');
writeFileSync(uploadPath, upload);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const TEXT = 'compressible line of text\n'.repeat(4000);

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 64 * 1024 * 1024, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Releases the streamed response's next chunk when the client says it has read one. */
class Gate {
  private waiting: (() => void)[] = [];
  private credits = 0;
  open(): void { const w = this.waiting.shift(); if (w) w(); else this.credits++; }
  pass(): Promise<void> {
    if (this.credits > 0) { this.credits--; return Promise.resolve(); }
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

function clientApp(gate: Gate): App {
  const gzipped = compress((_e, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return [TEXT]; }, { encodings: ['gzip'] });
  return (environ, sr) => {
    switch (environ.PATH_INFO) {
      case '/sha': {
        const body = (environ['wsgi.input'] as InputStream).read();
        sr('200 OK', [['Content-Type', 'text/plain']]);
        return [`${body.length} ${sha256(body)}`];
      }
      case '/text': return gzipped(environ, sr);
      case '/stream':
        sr('200 OK', [['Content-Type', 'text/plain']]);
        // Each line goes out only after the client read the previous one: a chunk held
        // back by the server (e.g. its trailing CRLF) would stall the client.
        return (async function* () {
          for (let i = 1; i <= 3; i++) {
            if (i > 1) await gate.pass();
            yield `line ${i}\n`;
          }
        })();
      default:
        sr('200 OK', [['Content-Type', 'text/plain'], ['X-Port', String(environ.REMOTE_PORT)]]);
        return [`${environ.REQUEST_METHOD} ${environ.PATH_INFO}`];
    }
  };
}

describe('curl', () => {
  for (const engine of engines) {
    it(`reuses one connection, answers Expect: 100-continue, takes chunked uploads, --compressed and HEAD (${engine})`, async () => {
      const server = await start(clientApp(new Gate()), engine);
      const base = `http://127.0.0.1:${server.port}`;

      // Two URLs in one invocation: the second rides the first's connection (RFC 9112 §9.3).
      const reuse = await run('curl', ['-s', '-w', ' connects=%{num_connects}\n', `${base}/a`, `${base}/b`]);
      expect(reuse.stdout).toBe('GET /a connects=1\nGET /b connects=0\n');

      // RFC 9110 §10.1.1: 100 Continue before the body is sent; the 2 MB arrive intact.
      const expect100 = await run('curl', ['-s', '-v', '-H', 'Expect: 100-continue', '--data-binary', `@${uploadPath}`, `${base}/sha`]);
      expect(expect100.stderr).toMatch(/< HTTP\/1\.1 100 Continue[\s\S]*< HTTP\/1\.1 200 OK/);
      expect(expect100.stdout).toBe(`${upload.length} ${sha256(upload)}`);

      // RFC 9112 §7.1: a chunked upload of the same bytes.
      const chunked = await run('curl', ['-s', '-H', 'Transfer-Encoding: chunked', '--data-binary', `@${uploadPath}`, `${base}/sha`]);
      expect(chunked.stdout).toBe(`${upload.length} ${sha256(upload)}`);

      const gz = await run('curl', ['-s', '--compressed', '-w', '\n%{size_download}', `${base}/text`]);
      const cut = gz.stdout.lastIndexOf('\n');
      expect(gz.stdout.slice(0, cut)).toBe(TEXT);
      expect(Number(gz.stdout.slice(cut + 1))).toBeLessThan(TEXT.length / 10);

      // RFC 9110 §9.3.2: HEAD gets GET's headers and no body.
      const head = await run('curl', ['-s', '-I', `${base}/x`]);
      expect(head.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(head.stdout).toMatch(/\r\ncontent-length: 7\r\n/i); // "HEAD /x", not sent
      expect(head.stdout.endsWith('\r\n\r\n')).toBe(true);
    });
  }
});

const PYTHON_CLIENT = `
import http.client, json, sys, urllib.request
port = int(sys.argv[1])
c = http.client.HTTPConnection('127.0.0.1', port, timeout=20)
out = {}
# keep-alive: three exchanges on one connection
for path in ('/one', '/two'):
    c.request('GET', path)
    r = c.getresponse()
    out[path] = [r.status, r.read().decode()]
c.request('POST', '/sha', body=b'x' * 100000, headers={'Content-Type': 'application/octet-stream'})
r = c.getresponse()
out['post'] = r.read().decode()
out['sock_reused'] = c.sock is not None
# a streamed response, read line by line as it is sent
c.request('GET', '/stream')
r = c.getresponse()
lines = []
for _ in range(3):
    line = r.readline().decode()
    lines.append(line)
    print('got ' + line.strip(), flush=True)
out['stream'] = lines
out['stream_rest'] = r.read().decode()
c.close()
with urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:%d/url' % port, data=b'{"a": 1}', headers={'Content-Type': 'application/json'})) as u:
    out['urllib'] = [u.status, u.read().decode()]
print('RESULT ' + json.dumps(out), flush=True)
`;

describe("Python's http.client and urllib", () => {
  for (const engine of engines) {
    it(`keep-alive, a POST, and a stream read line by line as each line is sent (${engine})`, async () => {
      const gate = new Gate();
      const server = await start(clientApp(gate), engine);
      const py = spawn('python3', ['-c', PYTHON_CLIENT, String(server.port)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      py.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      let result: Record<string, unknown> | undefined;
      for await (const line of createInterface({ input: py.stdout })) {
        if (line.startsWith('got line ')) gate.open();
        else if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as Record<string, unknown>;
      }
      expect(stderr).toBe('');
      expect(result).toEqual({
        '/one': [200, 'GET /one'],
        '/two': [200, 'GET /two'],
        post: `100000 ${sha256(Buffer.alloc(100000, 'x'))}`,
        sock_reused: true,
        stream: ['line 1\n', 'line 2\n', 'line 3\n'],
        stream_rest: '',
        urllib: [200, 'POST /url'],
      });
    });
  }
});
