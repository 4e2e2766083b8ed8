// npm run stress [-- --size N --engines native,uws --connections C --seed S]
// A bounded soak: per engine, a child-process server takes N mixed requests (hello,
// uploads fixed and chunked, streamed responses, pipelined batches) over C keep-alive
// connections. Every response is checked byte for byte and counted; the child's RSS and
// open descriptors are sampled, and must stop growing after warm-up and return to the
// baseline when the clients leave. Prints a table, then `STRESS_RESULT <json>`.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { availableEngines } from '../../src/index.js';
import type { EngineName } from '../../src/index.js';
import { StressConnection } from './client.js';
import { chunked, helloBody, type Kind, pick, PIPELINE_DEPTH, random, streamBody, uploadAnswer, uploadBytes } from './workload.js';

export interface EngineResult {
  engine: string; requests: number; verified: number; failures: string[]; seconds: number; requestsPerSecond: number;
  rssMiB: { warm: number; half: number; end: number; max: number }; fds: { idle: number; underLoad: number; afterClients: number };
  ok: boolean; problems: string[];
}

const MiB = 1024 * 1024;
const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const fdsOf = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

async function startChild(engine: EngineName): Promise<{ pid: number; port: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./server.js', import.meta.url)), engine], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`stress server exited (${code})`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  return {
    pid: child.pid!, port,
    stop: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); }),
  };
}

/** One unit of work on `conn`; returns how many requests it verified, or throws. */
async function unit(conn: StressConnection, r: () => number, n: number, kind: Kind): Promise<number> {
  const expectOne = (body: Buffer, want: string): void => {
    if (body.toString('latin1') !== want) throw new Error(`${kind}: body ${JSON.stringify(body.toString('latin1').slice(0, 80))} != ${JSON.stringify(want.slice(0, 80))}`);
  };
  if (kind === 'hello') {
    const [res] = await conn.exchange(`GET /hello?${n} HTTP/1.1\r\nHost: s\r\n\r\n`, 1);
    expectOne(res!.body, helloBody(String(n)));
    return 1;
  }
  if (kind === 'upload' || kind === 'chunked-upload') {
    const body = uploadBytes(Math.floor(r() * r() * 256 * 1024), n);
    const framed = kind === 'upload'
      ? Buffer.concat([Buffer.from(`POST /upload HTTP/1.1\r\nHost: s\r\nContent-Length: ${body.length}\r\n\r\n`), body])
      : Buffer.concat([Buffer.from('POST /upload HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\n'), chunked(body, r)]);
    const [res] = await conn.exchange(framed, 1);
    expectOne(res!.body, uploadAnswer(body));
    return 1;
  }
  if (kind === 'stream') {
    const count = 1 + Math.floor(r() * 64);
    const [res] = await conn.exchange(`GET /stream?${count} HTTP/1.1\r\nHost: s\r\n\r\n`, 1);
    if (res!.framing !== 'chunked') throw new Error(`stream: framing ${res!.framing}`);
    expectOne(res!.body, streamBody(count));
    return 1;
  }
  let batch = '';
  for (let i = 0; i < PIPELINE_DEPTH; i++) batch += `GET /hello?${n}-${i} HTTP/1.1\r\nHost: s\r\n\r\n`;
  const responses = await conn.exchange(batch, PIPELINE_DEPTH);
  responses.forEach((res, i) => expectOne(res.body, helloBody(`${n}-${i}`)));
  return PIPELINE_DEPTH;
}

export async function stressEngine(engine: EngineName, size: number, connections: number, seed: number): Promise<EngineResult> {
  const child = await startChild(engine);
  const idleFds = fdsOf(child.pid);
  let issued = 0;
  let verified = 0;
  const failures: string[] = [];
  const rss: { at: number; rss: number }[] = [];
  let underLoad = idleFds;
  const sampler = setInterval(() => {
    rss.push({ at: verified / size, rss: rssOf(child.pid) });
    underLoad = Math.max(underLoad, fdsOf(child.pid));
  }, 100);
  const started = performance.now();
  const worker = async (w: number): Promise<void> => {
    const r = random(seed * 1000 + w);
    let conn = await StressConnection.open(child.port);
    while (issued < size && failures.length < 10) {
      const kind = pick(r);
      const n = issued;
      issued += kind === 'pipelined' ? PIPELINE_DEPTH : 1;
      try {
        const count = await unit(conn, r, n, kind);
        verified += count; // not `verified += await …`: that reads verified before the await
      } catch (e) {
        failures.push(`request ${n}: ${(e as Error).message}`);
        conn.close();
        conn = await StressConnection.open(child.port);
      }
      // Now and then a fresh connection, so accept and close paths soak too.
      if (r() < 0.01) { conn.close(); conn = await StressConnection.open(child.port); }
    }
    conn.close();
  };
  await Promise.all(Array.from({ length: connections }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  rss.push({ at: 1, rss: rssOf(child.pid) });
  // The clients are gone: the server must release every connection's descriptor.
  const deadline = Date.now() + 5000;
  while (fdsOf(child.pid) > idleFds && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const afterClients = fdsOf(child.pid);
  await child.stop();

  const near = (at: number): number => (rss.find((s) => s.at >= at) ?? rss.at(-1)!).rss;
  const rssMiB = { warm: near(0.3) / MiB, half: near(0.5) / MiB, end: rss.at(-1)!.rss / MiB, max: Math.max(...rss.map((s) => s.rss)) / MiB };
  const problems: string[] = [];
  if (failures.length) problems.push(`${failures.length} failed exchanges, first: ${failures[0]}`);
  if (verified < issued) problems.push(`only ${verified} of ${issued} responses verified`);
  // The first half is warm-up (V8 sizes its heap, the allocator settles); over the second
  // half RSS must stay flat but for allocator noise: a leak of even 100 bytes a request
  // would add ~5 MiB per 50,000 requests there, and keep adding.
  const allowed = Math.max(16, rssMiB.half * 0.1);
  if (rssMiB.end - rssMiB.half > allowed) problems.push(`RSS grew ${(rssMiB.end - rssMiB.half).toFixed(1)} MiB over the second half (allowed ${allowed.toFixed(1)})`);
  if (afterClients > idleFds) problems.push(`${afterClients - idleFds} descriptors still open after the clients left`);
  return {
    engine, requests: issued, verified, failures, seconds, requestsPerSecond: verified / seconds,
    rssMiB, fds: { idle: idleFds, underLoad, afterClients }, ok: problems.length === 0, problems,
  };
}

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i !== -1 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const size = Number(option('size', '100000'));
  const connections = Number(option('connections', '16'));
  const seed = Number(option('seed', '1'));
  const available = await availableEngines();
  const wanted = option('engines', available.join(',')).split(',').filter((e): e is EngineName => available.includes(e as EngineName));
  const results: EngineResult[] = [];
  for (const engine of wanted) {
    const r = await stressEngine(engine, size, connections, seed);
    results.push(r);
    console.log(`${engine.padEnd(6)} ${r.verified} responses verified of ${r.requests} requests in ${r.seconds.toFixed(1)} s ` +
      `(${Math.round(r.requestsPerSecond)}/s); RSS MiB warm ${r.rssMiB.warm.toFixed(1)} half ${r.rssMiB.half.toFixed(1)} end ${r.rssMiB.end.toFixed(1)} max ${r.rssMiB.max.toFixed(1)}; ` +
      `fds idle ${r.fds.idle} load ${r.fds.underLoad} after ${r.fds.afterClients}; ${r.ok ? 'OK' : 'FAIL: ' + r.problems.join('; ')}`);
  }
  console.log(`STRESS_RESULT ${JSON.stringify({ size, connections, seed, results })}`);
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}
