// A real browser against every engine: headless Chromium (Debian's `chromium`) loads a
// page whose script exercises what browsers do to a server — fetch of JSON, a 100 kB
// UTF-8 POST, a multipart FormData upload, a 2 MB download, gzip through compress(),
// server-sent events with EventSource, a non-ASCII path — and posts what it saw back to
// the server. The test awaits that report (no sleeps); the server side checks what the
// browser sent (PEP 3333 environ) and that it reused its connections (RFC 9112 §9.3).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compress } from '../../src/middleware/index.js';
import type { App, Environ, InputStream } from '../../src/types.js';
import { parseForm } from '../../src/util/index.js';
import { engines, start } from '../helpers/server.js';
import { certs, tlsEngines, why } from '../tls/lab.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
const BIG = 2 * 1024 * 1024;
const bigBody = Buffer.alloc(BIG, 0);
for (let i = 0; i < BIG; i++) bigBody[i] = (i * 31 + 7) & 0xff;

// The page: every step records into `r`, failures included, and the whole record is
// POSTed to /report at the end. Bytes are summed in the page so that the server can
// check them without trusting Content-Length.
const PAGE = `<!doctype html><meta charset="utf-8"><title>tsgi</title><script>
(async () => {
  const r = {};
  const step = async (name, f) => { try { r[name] = await f(); } catch (e) { r[name] = 'ERROR ' + e; } };
  await step('json', async () => (await (await fetch('/json')).json()).hello);
  const text = 'é☃'.repeat(20000) + 'end';
  await step('post', async () => await (await fetch('/echo', { method: 'POST', body: text, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })).text() === text);
  await step('form', async () => {
    const fd = new FormData();
    fd.append('name', 'Zoë');
    fd.append('file', new Blob(['file body ✓'], { type: 'text/plain' }), 'a.txt');
    return await (await fetch('/form', { method: 'POST', body: fd })).json();
  });
  await step('big', async () => {
    const b = new Uint8Array(await (await fetch('/big')).arrayBuffer());
    let sum = 0; for (let i = 0; i < b.length; i++) sum = (sum + b[i] * (i % 251 + 1)) % 1000000007;
    return [b.length, sum];
  });
  await step('gzip', async () => { const res = await fetch('/gzip'); return [res.headers.get('content-encoding'), (await res.text()).length]; });
  await step('path', async () => await (await fetch('/caf\\u00e9/x%20y?q=1')).text());
  await step('events', () => new Promise((resolve, reject) => {
    const got = [];
    const es = new EventSource('/events');
    es.onmessage = (e) => { got.push(e.data); if (got.length === 3) { es.close(); resolve(got); } };
    es.onerror = () => { es.close(); reject(new Error('EventSource error after ' + got.length)); };
  }));
  for (let i = 0; i < 5; i++) await step('seq' + i, async () => (await fetch('/json?n=' + i)).status);
  await fetch('/report', { method: 'POST', body: JSON.stringify(r) });
})();
</script>`;

function readAll(environ: Environ): Buffer {
  return Buffer.from((environ['wsgi.input'] as InputStream).read());
}

function checksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i++) sum = (sum + b[i]! * ((i % 251) + 1)) % 1000000007;
  return sum;
}

interface Seen { ports: number[]; agents: string[]; paths: string[]; schemes: string[]; report: Promise<Record<string, unknown>> }

function browserApp(): { app: App; seen: Seen } {
  let deliver!: (r: Record<string, unknown>) => void;
  const seen: Seen = { ports: [], agents: [], paths: [], schemes: [], report: new Promise((resolve) => { deliver = resolve; }) };
  const text = (sr: Parameters<App>[1], body: string | Buffer, type = 'text/plain; charset=utf-8') => {
    sr('200 OK', [['Content-Type', type]]);
    return [body];
  };
  const gzipped = compress((_e, sr) => text(sr, 'compressible text '.repeat(5000)), { threshold: 0, encodings: ['gzip'] });
  const app: App = (environ, sr) => {
    seen.ports.push(Number(environ.REMOTE_PORT));
    seen.agents.push(String(environ.HTTP_USER_AGENT));
    const path = environ.PATH_INFO;
    seen.paths.push(path);
    seen.schemes.push(environ['wsgi.url_scheme']);
    switch (path) {
      case '/': return text(sr, PAGE, 'text/html; charset=utf-8');
      case '/json': return text(sr, JSON.stringify({ hello: 'wörld' }), 'application/json');
      // PEP 3333: the body arrives as bytes; sent back unchanged.
      case '/echo': return text(sr, readAll(environ));
      case '/form': {
        const form = parseForm(environ, { onFile: () => undefined });
        const out = { name: form.fields.get('name'), files: form.files.map((f) => [f.field, f.filename, f.contentType]) };
        form.cleanup();
        return text(sr, JSON.stringify(out), 'application/json');
      }
      case '/big': sr('200 OK', [['Content-Type', 'application/octet-stream']]); return [bigBody];
      case '/gzip': return gzipped(environ, sr);
      case '/events': {
        sr('200 OK', [['Content-Type', 'text/event-stream'], ['Cache-Control', 'no-store']]);
        return (async function* () {
          for (let i = 1; i <= 3; i++) { yield `data: event ${i}\n\n`; await new Promise((r) => setImmediate(r)); }
          // Held open as a real event stream is, until the browser closes it.
          await new Promise((r) => setTimeout(r, 60_000));
        })();
      }
      case '/report': {
        deliver(JSON.parse(readAll(environ).toString('utf8')) as Record<string, unknown>);
        return text(sr, 'ok');
      }
      // PEP 3333 "Unicode Issues": the UTF-8 bytes of the path, one latin-1 unit each.
      default: return text(sr, Buffer.from(`${path}|${environ.QUERY_STRING}`, 'latin1'));
    }
  };
  return { app, seen };
}

let browser: ChildProcess | undefined;
let profile: string | undefined;
afterEach(async () => {
  const b = browser;
  browser = undefined;
  if (b && b.exitCode === null && b.signalCode === null) {
    const gone = new Promise((resolve) => b.once('exit', resolve));
    // Its own process group: the renderer, GPU and zygote children go with it.
    try { process.kill(-b.pid!, 'SIGKILL'); } catch { b.kill('SIGKILL'); }
    await gone;
  }
  // Best effort: a child still flushing its cache must not fail the test.
  if (profile) try { rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }); } catch { /* a temp dir left */ }
  profile = undefined;
});

describe.skipIf(!CHROMIUM)(`a real browser (${CHROMIUM ?? 'no chromium installed: apt-get install chromium'})`, () => {
  const cases = engines.flatMap((engine) => {
    const tlsSkip = tlsEngines.find((t) => t.engine === engine)?.skip ?? '';
    return [{ engine, scheme: 'http', skip: '' }, { engine, scheme: 'https', skip: tlsSkip }];
  });
  for (const { engine, scheme, skip } of cases) {
    it.skipIf(skip)(`headless Chromium runs the page's fetches, upload, download, gzip and EventSource over ${scheme} (${engine})${why(skip)}`, async () => {
      const { app, seen } = browserApp();
      const tls = scheme === 'https' ? { tls: { cert: certs.serverCert, key: certs.serverKey } } : {};
      const server = await start(app, engine, { logger: { error: () => {} }, ...tls }, { validate: engine !== 'uws' });
      profile = mkdtempSync(join(tmpdir(), 'tsgi-chromium-'));
      browser = spawn(CHROMIUM!, [
        '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
        '--disable-extensions', '--disable-background-networking', `--user-data-dir=${profile}`,
        // The fixture's certificate is self-signed for this test.
        '--ignore-certificate-errors',
        `${scheme}://127.0.0.1:${server.port}/`,
      ], { stdio: 'ignore', detached: true });
      const exited = new Promise<never>((_, reject) => browser!.once('exit', (code) => reject(new Error(`chromium exited (${code}) before reporting`))));
      exited.catch(() => {}); // the kill in afterEach ends it too, after the report
      const report = await Promise.race([seen.report, exited]);

      expect(report.json).toBe('wörld');
      expect(report.post).toBe(true);
      expect(report.form).toEqual({ name: 'Zoë', files: [['file', 'a.txt', 'text/plain']] });
      expect(report.big).toEqual([BIG, checksum(bigBody)]);
      expect(report.gzip).toEqual(['gzip', 'compressible text '.length * 5000]);
      // The browser sends é as UTF-8; PATH_INFO holds those bytes as latin-1 units, and
      // sent back as bytes they decode to é again.
      expect(report.path).toBe('/café/x y|q=1');
      expect(seen.paths).toContain('/caf\xc3\xa9/x y');
      expect(report.events).toEqual(['event 1', 'event 2', 'event 3']);
      for (let i = 0; i < 5; i++) expect(report[`seq${i}`]).toBe(200);
      expect(seen.agents.every((a) => a.includes('HeadlessChrome'))).toBe(true);
      expect(new Set(seen.schemes)).toEqual(new Set([scheme]));
      // Keep-alive: a browser reuses its connections (RFC 9112 §9.3); uws shows no port.
      if (engine !== 'uws') expect(new Set(seen.ports).size).toBeLessThan(seen.ports.length - 5);
    }, 60_000);
  }
});
