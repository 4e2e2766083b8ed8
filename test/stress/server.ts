// The stress server, run as a child process so its RSS and descriptors are its own.
// Usage: node --expose-gc dist/test/stress/server.js <engine>; prints {"port":N} when
// ready, closes gracefully on SIGTERM. A line "mem" on stdin makes it collect garbage
// fully and print {"mem":{rss,heapUsed,external,arrayBuffers}}: live memory, the precise
// leak signal that RSS (allocator and heap sizing steps) is not.

import { createInterface } from 'node:readline';
import { serveFast } from '../../src/index.js';
import type { App, EngineName } from '../../src/index.js';
import { attackApp, retained } from './attack-app.js';
import { helloBody, streamChunk, uploadAnswer } from './workload.js';

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

// STRESS_LEAK_BYTES=n keeps n bytes per request forever: a deliberate leak, to check that
// the soak's memory judgement sees one (run.ts prints the trends).
const leakBytes = Number(process.env.STRESS_LEAK_BYTES ?? 0);
const leaked: Uint8Array[] = [];

const app: App = (environ, startResponse) => {
  if (leakBytes) leaked.push(new Uint8Array(leakBytes));
  const path = environ.PATH_INFO;
  const query = environ.QUERY_STRING;
  if (path === '/upload') {
    const body = environ['wsgi.input'].read();
    startResponse('200 OK', TEXT);
    return [uploadAnswer(body)];
  }
  if (path === '/stream') {
    const n = Number(query);
    startResponse('200 OK', TEXT);
    return (async function* () {
      for (let i = 0; i < n; i++) {
        if (i % 4 === 3) await null; // interleave with other connections
        yield streamChunk(i);
      }
    })();
  }
  if (path === '/addr') { startResponse('200 OK', TEXT); return [String(environ.REMOTE_ADDR)]; }
  if (path.startsWith('/attack/')) return attackApp(environ, startResponse);
  startResponse('200 OK', TEXT);
  return [helloBody(query)];
};

const engine = process.argv[2] as EngineName;
let errors = 0;
const quiet = process.env.STRESS_QUIET_LOG === '1';
// Extra serveFast options as JSON (the attack soak uses small timeouts).
const extra = process.argv[3] ? (JSON.parse(process.argv[3]) as Record<string, unknown>) : {};
const server = await serveFast(app, { host: '127.0.0.1', port: 0, engine, logger: { error: (m) => { errors++; if (!quiet) process.stderr.write(m + '\n'); } }, ...extra });
process.stdout.write(JSON.stringify({ port: server.port, engine: server.engine, pid: process.pid }) + '\n');
const gc = (globalThis as { gc?: () => void }).gc;
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'mem') return;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  process.stdout.write(JSON.stringify({ mem: { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, gc: !!gc }, errors, retained }) + '\n');
});
process.once('SIGTERM', () => { void server.close().then(() => process.exit(0)); });
