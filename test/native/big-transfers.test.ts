// 1 GiB upload and 1 GiB download through the native engine with backpressure both ways;
// the server runs in a child process so its peak RSS can be read: it must stay < 200 MB.
import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const GiB = 1024 * 1024 * 1024;
const root = fileURLToPath(new URL('../../', import.meta.url));
let child: ChildProcess;
let port = 0;

function ensureCompiled(): void {
  // The child runs plain JavaScript from dist/: recompile when a source is newer.
  const sources = ['native.ts', 'native-server.ts', 'native-exchange.ts', 'native-head.ts', 'native-loader.ts', 'native-protocol.ts'];
  const stale = sources.some((f) => {
    try {
      return statSync(`${root}src/engines/${f}`).mtimeMs > statSync(`${root}dist/src/engines/${f.replace('.ts', '.js')}`).mtimeMs;
    } catch {
      return true;
    }
  });
  if (stale) {
    try { execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'ignore' }); } catch { /* emits despite type errors elsewhere */ }
  }
}

function request(head: string, body?: { bytes: number }): Promise<{ head: string; bodyBytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let headText = '';
    let headDone = false;
    let bodyBytes = 0;
    let expected = -1;
    let textBody = '';
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      if (!headDone) {
        headText += d.toString('latin1');
        const end = headText.indexOf('\r\n\r\n');
        if (end === -1) return;
        headDone = true;
        expected = Number(/content-length: (\d+)/i.exec(headText)![1]);
        const rest = Buffer.from(headText.slice(end + 4), 'latin1');
        headText = headText.slice(0, end);
        bodyBytes += rest.length;
        if (expected < 100) textBody += rest.toString();
      } else {
        bodyBytes += d.length;
        if (expected < 100) textBody += d.toString();
      }
      if (bodyBytes >= expected) { s.destroy(); resolve({ head: headText, bodyBytes, text: textBody }); }
    });
    s.on('connect', async () => {
      s.write(head);
      if (!body) return;
      const piece = Buffer.alloc(1024 * 1024, 'u');
      for (let sent = 0; sent < body.bytes; sent += piece.length) {
        if (!s.write(piece)) await new Promise((r) => s.once('drain', r));
      }
    });
  });
}

async function peakRss(): Promise<number> {
  const r = await request('GET /rss HTTP/1.1\r\nHost: a\r\n\r\n');
  return JSON.parse(r.text).maxRSS as number;
}

describe('native engine: 1 GiB transfers with bounded memory', () => {
  beforeAll(async () => {
    ensureCompiled();
    child = fork(fileURLToPath(new URL('./fixtures/big-server.mjs', import.meta.url)), [], { stdio: 'inherit', env: process.env });
    port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  });
  afterAll(async () => {
    child.send('close');
    await new Promise((r) => child.once('exit', r));
  });

  it('receives a 1 GiB upload from a client faster than the app, RSS < 200 MB', async () => {
    const r = await request(`POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: ${GiB}\r\n\r\n`, { bytes: GiB });
    expect(r.text).toBe(String(GiB));
    const peak = await peakRss();
    console.log(`native upload 1 GiB: server peak RSS ${(peak / 1048576).toFixed(1)} MB`);
    expect(peak).toBeLessThan(200 * 1024 * 1024);
  }, 120_000);

  it('streams a 1 GiB download with backpressure, RSS < 200 MB', async () => {
    const r = await request('GET /download HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(r.bodyBytes).toBe(GiB);
    const peak = await peakRss();
    console.log(`native download 1 GiB: server peak RSS ${(peak / 1048576).toFixed(1)} MB`);
    expect(peak).toBeLessThan(200 * 1024 * 1024);
  }, 120_000);
});
