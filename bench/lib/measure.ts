// One measured run: warm-up, then wrk with the server's CPU time read before and after.

import type { Scenario } from '../scenarios.js';
import { coreBusyMicros, treeCpuMicros } from './proc-stats.js';
import type { RunSample } from './results.js';
import { warmUp } from './warm-up.js';
import { runWrk } from './wrk.js';

export interface RunPlan {
  scenario: Scenario;
  pid: number;
  port: number;
  script: string;
  /** Seconds of wrk before each run, or 0 for the quick count-based warm-up. */
  warmupSeconds: number;
  seconds: number;
  clientCore: number;
  serverCore: number;
  /** The database's postmaster (scenarios with a database): its tree's CPU is measured too. */
  dbPid?: number;
}

/** --quick: requests sent before each measured run (enough for V8 to optimize the
 * hot path), bounded in time for slow servers and 1 GiB answers. */
const QUICK_WARMUP_REQUESTS = 10_000;
const QUICK_WARMUP_MAX_MS = 500;

export function urlOf(scenario: Scenario, port: number): string {
  return `${scenario.tls ? 'https' : 'http'}://127.0.0.1:${port}${scenario.path}`;
}

export async function measureRun(plan: RunPlan): Promise<RunSample> {
  const base = {
    url: urlOf(plan.scenario, plan.port), script: plan.script, connections: plan.scenario.connections,
    timeoutSeconds: plan.scenario.timeoutSeconds, core: plan.clientCore,
  };
  // The quick warm-up speaks plain HTTP over node:net; TLS rows warm up with wrk.
  if (plan.warmupSeconds > 0 || plan.scenario.tls) await runWrk({ ...base, seconds: Math.max(1, plan.warmupSeconds) });
  else await warmUp(plan.scenario, plan.port, QUICK_WARMUP_REQUESTS, QUICK_WARMUP_MAX_MS);
  const dbBefore = plan.dbPid === undefined ? 0 : treeCpuMicros(plan.dbPid);
  const cpuBefore = treeCpuMicros(plan.pid);
  const coreBefore = coreBusyMicros(plan.serverCore);
  const wallBefore = process.hrtime.bigint();
  const wrk = await runWrk({ ...base, seconds: plan.seconds });
  const wallUs = Number(process.hrtime.bigint() - wallBefore) / 1000;
  const cpuUs = treeCpuMicros(plan.pid) - cpuBefore;
  const dbUs = plan.dbPid === undefined ? 0 : treeCpuMicros(plan.dbPid) - dbBefore;
  // Busy time of the server's core not spent by the server (nor by the database pinned
  // next to it): other work competing.
  const foreignUs = Math.max(0, coreBusyMicros(plan.serverCore) - coreBefore - cpuUs - dbUs);
  const seconds = wrk.durationUs / 1e6;
  const mib = wrk.bytes / (1024 * 1024);
  const e = wrk.errors;
  return {
    requestsPerSecond: wrk.requests / seconds,
    cpuUsPerRequest: wrk.requests > 0 ? cpuUs / wrk.requests : 0,
    megabytesPerSecond: wrk.bytes / 1e6 / seconds,
    cpuUsPerMiB: mib > 0 ? cpuUs / mib : 0,
    busyPercent: (cpuUs / wallUs) * 100,
    foreignPercent: (foreignUs / wallUs) * 100,
    p50Us: wrk.p50Us,
    p99Us: wrk.p99Us,
    requests: wrk.requests,
    errors: e.connect + e.read + e.write + e.status + e.timeout,
    ...(plan.dbPid === undefined ? {} : { dbCpuUsPerRequest: wrk.requests > 0 ? dbUs / wrk.requests : 0 }),
  };
}
