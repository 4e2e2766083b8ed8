// The attack soak (`npm run stress -- --attack`): one child-process server with small
// timeouts; a well-behaved client measures itself first alone (baseline), then while
// hundreds of attackers of every class (attack.ts, in a process of its own, connecting
// from 127.6.6.6) work on the same server, then alone again. The well-behaved client must
// keep 0 failures, its p99 within 2x its baseline (the worse of before and after), and REMOTE_ADDR 127.0.0.1; the server's RSS and open
// descriptors (/proc/<pid>) must stay bounded and return when the attackers leave;
// retained environ objects read late must never show another request's bytes.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EngineName } from '../../src/index.js';
import { StressConnection } from './client.js';
import { CLASSES } from './attack.js';
import { fdsOf, pinned, rssOf, startChild } from './child.js';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { helloBody } from './workload.js';

const MiB = 1024 * 1024;
/** Server timeouts during the soak: attackers are cut (and come back) every few seconds. */
export const ATTACK_SERVER_OPTIONS = { headersTimeout: 2, bodyTimeout: 2, keepAliveTimeout: 2, sendTimeout: 2 };
/** Memory the server may hold per attacker connection (input limit + output high-water
 * mark, rounded up), plus fixed slack for the allocator and V8. */
const PER_CONNECTION_MIB = 1;
const SLACK_MIB = 64;
/** SIGTERM to exit, attackers connected, with 2 s timeouts. */
const CLOSE_BOUND_MS = 10_000;

export interface Latency { requests: number; failures: string[]; p50: number; p99: number; max: number }
export interface AttackResult {
  engine: string; attackers: number; baseline: Latency; underAttack: Latency; baselineAfter: Latency;
  rssMiB: { baseline: number; maxUnderAttack: number; bound: number; after: number };
  fds: { idle: number; maxUnderAttack: number; bound: number; after: number };
  retained: Record<string, number>; logged: number; closeMs: number; attackStats: Record<string, { connections: number; cut: number; requests: number; errors: number }>;
  ok: boolean; problems: string[];
}

const percentile = (xs: number[], p: number): number => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** `clients` keep-alive connections, each sending one request after another for `ms`. */
async function wellBehaved(port: number, clients: number, ms: number): Promise<Latency> {
  const times: number[] = [];
  const failures: string[] = [];
  const end = Date.now() + ms;
  await Promise.all(Array.from({ length: clients }, async (_, w) => {
    let conn = await StressConnection.open(port);
    for (let n = 0; Date.now() < end; n++) {
      const addr = n % 50 === 49;
      const t0 = performance.now();
      try {
        const [res] = await conn.exchange(addr ? 'GET /addr HTTP/1.1\r\nHost: s\r\n\r\n' : `GET /hello?${w}-${n} HTTP/1.1\r\nHost: s\r\n\r\n`, 1, 5000);
        times.push(performance.now() - t0);
        const want = addr ? '127.0.0.1' : helloBody(`${w}-${n}`);
        if (res!.body.toString('latin1') !== want) failures.push(`wrong answer ${JSON.stringify(res!.body.toString('latin1').slice(0, 60))} for ${JSON.stringify(want)}`);
      } catch (e) {
        failures.push((e as Error).message);
        conn.close();
        conn = await StressConnection.open(port);
      }
    }
    conn.close();
  }));
  return { requests: times.length, failures, p50: percentile(times, 50), p99: percentile(times, 99), max: times.reduce((a, b) => Math.max(a, b), 0) };
}

function startAttackers(port: number, perClass: number, classes?: string, cpu?: number): Promise<{ count: number; stop(): Promise<AttackResult['attackStats']> }> {
  // Attackers at the lowest priority: on a small machine they compete for the CPU with
  // the well-behaved client, and the soak measures the server, not that contention.
  const [command, args] = pinned(process.execPath, [fileURLToPath(new URL('./attack.js', import.meta.url)), String(port), String(perClass), ...(classes ? [classes] : [])], cpu, 19);
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((l: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  return new Promise((resolve) => {
    waiting.push((first) => resolve({
      count: (JSON.parse(first) as { attackers: number }).attackers,
      stop: () => new Promise((done) => {
        waiting.push((l) => {
          const stats = (JSON.parse(l) as { stats: AttackResult['attackStats'] }).stats;
          child.once('exit', () => done(stats));
        });
        child.stdin!.write('stop\n');
      }),
    }));
  });
}

export async function attackSoak(engine: EngineName, { perClass = 30, baselineSeconds = 5, attackSeconds = 20, clients = 4, classes = undefined as string | undefined, pin = true } = {}): Promise<AttackResult> {
  // With two CPUs or more: the server alone on CPU 0; this process (the well-behaved
  // client) and the attackers (nice 19) on CPU 1. Without pinning, the p99 comparison
  // measures who got the CPU as much as the server.
  const cpu = pin && cpus().length >= 2 ? { server: 0, clients: 1 } : undefined;
  if (cpu) spawnSync('taskset', ['-a', '-p', '-c', String(cpu.clients), String(process.pid)], { stdio: 'ignore' });
  const child = await startChild(engine, ATTACK_SERVER_OPTIONS, { STRESS_QUIET_LOG: '1' }, cpu?.server);
  const idleFds = fdsOf(child.pid);
  await wellBehaved(child.port, clients, 1500); // warm-up
  const baseline = await wellBehaved(child.port, clients, baselineSeconds * 1000);
  const rssBaseline = rssOf(child.pid);

  const attackers = await startAttackers(child.port, perClass, classes, cpu?.clients);
  let maxRss = rssBaseline;
  let maxFds = idleFds;
  const sampler = setInterval(() => {
    try {
      maxRss = Math.max(maxRss, rssOf(child.pid));
      maxFds = Math.max(maxFds, fdsOf(child.pid));
    } catch { /* exited; reported below */ }
  }, 200);
  await new Promise((r) => setTimeout(r, 2000)); // every attacker connected and at work
  const underAttack = await wellBehaved(child.port, clients, attackSeconds * 1000);
  const attackStats = await attackers.stop();
  clearInterval(sampler);

  // The attackers are gone: descriptors must come back (their connections closed).
  const deadline = Date.now() + 10_000;
  while (fdsOf(child.pid) > idleFds && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const fdsAfter = fdsOf(child.pid);
  // The baseline again, now that the attackers are gone: the machine's own load drifts
  // (other processes on a small box), so the reference is the worse of the two.
  const baselineAfter = await wellBehaved(child.port, clients, baselineSeconds * 1000);
  const reference = Math.max(baseline.p99, baselineAfter.p99);
  const problems: string[] = [];
  const { mem, errors, retained } = await child.mem().catch((e: Error) => {
    problems.push(e.message);
    return { mem: undefined, errors: NaN, retained: {} as Record<string, number> };
  });
  const rssAfter = rssOf(child.pid);
  // Shutdown under attack: the attackers come back, and after 3 s the server gets SIGTERM
  // (server.close()); it must exit within CLOSE_BOUND_MS.
  const again = await startAttackers(child.port, perClass, classes, cpu?.clients);
  await new Promise((r) => setTimeout(r, 3000));
  const stopped = await child.stop();
  await again.stop();
  if (stopped.killed) problems.push('the server did not exit within 15 s of SIGTERM under attack (server.close() did not resolve)');
  else if (stopped.ms > CLOSE_BOUND_MS) problems.push(`graceful stop under attack took ${stopped.ms.toFixed(0)} ms (bound ${CLOSE_BOUND_MS})`);

  const rssBound = rssBaseline + (attackers.count * PER_CONNECTION_MIB + SLACK_MIB) * MiB;
  // Each attacker may have a connection being closed (lingering after a 408/413, or in
  // the close queue) while its next one is open: two per attacker, and no growth after.
  const fdBound = idleFds + 2 * attackers.count + clients + 32;
  if (baseline.failures.length) problems.push(`${baseline.failures.length} failures without attackers, first: ${baseline.failures[0]}`);
  if (underAttack.failures.length) problems.push(`${underAttack.failures.length} failures under attack, first: ${underAttack.failures[0]}`);
  if (baselineAfter.failures.length) problems.push(`${baselineAfter.failures.length} failures after the attackers left, first: ${baselineAfter.failures[0]}`);
  if (!(underAttack.p99 <= 2 * reference)) problems.push(`p99 ${underAttack.p99.toFixed(2)} ms under attack > 2x baseline ${reference.toFixed(2)} ms`);
  if (maxRss > rssBound) problems.push(`RSS reached ${(maxRss / MiB).toFixed(0)} MiB under attack (bound ${(rssBound / MiB).toFixed(0)})`);
  if (maxFds > fdBound) problems.push(`${maxFds} descriptors open under attack (bound ${fdBound})`);
  if (fdsAfter > idleFds) problems.push(`${fdsAfter - idleFds} descriptors still open 10 s after the attackers left`);
  if ((retained.foreign ?? 0) > 0 || (retained.other ?? 0) > 0) problems.push(`retained environ read late: ${JSON.stringify(retained)}`);
  void mem;
  return {
    engine, attackers: attackers.count, baseline, underAttack, baselineAfter,
    rssMiB: { baseline: rssBaseline / MiB, maxUnderAttack: maxRss / MiB, bound: rssBound / MiB, after: rssAfter / MiB },
    fds: { idle: idleFds, maxUnderAttack: maxFds, bound: fdBound, after: fdsAfter },
    retained, logged: errors, closeMs: stopped.ms, attackStats, ok: problems.length === 0, problems,
  };
}

export function printAttack(r: AttackResult): void {
  const f = (x: number) => x.toFixed(2);
  console.log(`${r.engine}: ${r.attackers} attackers (${Object.keys(CLASSES).length} classes); well-behaved client:`);
  console.log(`  baseline      ${r.baseline.requests} requests, ${r.baseline.failures.length} failures, p50 ${f(r.baseline.p50)} ms, p99 ${f(r.baseline.p99)} ms, max ${f(r.baseline.max)} ms`);
  const reference = Math.max(r.baseline.p99, r.baselineAfter.p99);
  console.log(`  under attack  ${r.underAttack.requests} requests, ${r.underAttack.failures.length} failures, p50 ${f(r.underAttack.p50)} ms, p99 ${f(r.underAttack.p99)} ms (${f(r.underAttack.p99 / reference)}x the worse baseline), max ${f(r.underAttack.max)} ms`);
  console.log(`  baseline after ${r.baselineAfter.requests} requests, ${r.baselineAfter.failures.length} failures, p50 ${f(r.baselineAfter.p50)} ms, p99 ${f(r.baselineAfter.p99)} ms, max ${f(r.baselineAfter.max)} ms`);
  console.log(`  server RSS MiB baseline ${r.rssMiB.baseline.toFixed(0)}, max under attack ${r.rssMiB.maxUnderAttack.toFixed(0)} (bound ${r.rssMiB.bound.toFixed(0)}), after ${r.rssMiB.after.toFixed(0)}`);
  console.log(`  server fds idle ${r.fds.idle}, max under attack ${r.fds.maxUnderAttack} (bound ${r.fds.bound}), 10 s after ${r.fds.after}`);
  console.log(`  graceful stop under attack (SIGTERM → server.close() → exit) ${r.closeMs.toFixed(0)} ms (bound ${CLOSE_BOUND_MS})`);
  console.log(`  retained environ late reads ${JSON.stringify(r.retained)}; server log lines ${r.logged}`);
  for (const [name, s] of Object.entries(r.attackStats)) console.log(`    ${name.padEnd(30)} connections ${String(s.connections).padStart(5)}  cut by server ${String(s.cut).padStart(5)}  requests ${s.requests}`);
  console.log(`  ${r.ok ? 'OK' : 'FAIL: ' + r.problems.join('; ')}`);
}
