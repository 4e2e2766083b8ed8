// The shape of results/*.json, and the arithmetic on it.

import { SCENARIOS, type ServerName } from '../scenarios.js';

export interface RunSample {
  requestsPerSecond: number;
  /** Server CPU (utime + stime, whole process tree) per request, microseconds. */
  cpuUsPerRequest: number;
  /** Response bytes per second as wrk read them, MB/s (10^6). */
  megabytesPerSecond: number;
  /** Server CPU per MiB sent, microseconds (meaningful for the file scenario). */
  cpuUsPerMiB: number;
  /** Server CPU time / wall time: near 100% the server is the bottleneck. */
  busyPercent: number;
  /** Busy time of the server's core spent by other processes (and interrupts) during the
   * run, percent of wall time: how noisy the machine was for this row. */
  foreignPercent: number;
  p50Us: number;
  p99Us: number;
  requests: number;
  /** wrk's connect/read/write/status/timeout errors added up. */
  errors: number;
  /** Scenarios with a database: CPU of the PostgreSQL process tree (postmaster and
   * backends) per request, microseconds. */
  dbCpuUsPerRequest?: number;
}

export interface Row {
  scenario: string;
  server: ServerName;
  status: 'ok' | 'unavailable' | 'failed';
  reason?: string;
  runs: RunSample[];
  /** Median of each field over the runs (undefined unless status is ok). */
  median?: RunSample;
  /** (max - min) / median of CPU per request over the runs, percent. */
  spreadPercent?: number;
  peakRssKb?: number;
  /** Scenario idle: resident memory before and with the idle connections open. */
  idle?: { requested: number; open: number; aliveAtEnd: number; rssBeforeKb: number; rssWithIdleKb: number };
}

export interface MachineInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  kernel: string;
  node: string;
  uws: string;
  wrk: string;
  loadBefore: number;
  loadAfter: number;
  serverCore: number;
  clientCore: number;
}

export interface BenchReport {
  machine: MachineInfo;
  options: { runs: number; seconds: number; warmupSeconds: number; quick: boolean; command: string };
  rows: Row[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(row: Row): void {
  if (row.runs.length === 0) return;
  const keys = Object.keys(row.runs[0]!) as (keyof RunSample)[];
  const m = {} as RunSample;
  for (const key of keys) m[key] = median(row.runs.map((r) => r[key] ?? 0));
  row.median = m;
  const cpu = row.runs.map((r) => r.cpuUsPerRequest);
  row.spreadPercent = m.cpuUsPerRequest > 0 ? ((Math.max(...cpu) - Math.min(...cpu)) / m.cpuUsPerRequest) * 100 : 0;
}

/** CPU cost of `row` relative to raw uWebSockets.js in the same scenario and run. */
/** The row's CPU per request (or MiB) over its scenario's baseline row in the same run:
 * uws-raw, or nginx in the TLS scenarios. */
export function ratioToUwsRaw(row: Row, rows: readonly Row[]): number | undefined {
  const baseline = SCENARIOS.find((s) => s.name === row.scenario)?.baseline ?? 'uws-raw';
  const base = rows.find((r) => r.scenario === row.scenario && r.server === baseline && r.median);
  if (!base?.median || !row.median) return undefined;
  const perUnit = (r: RunSample): number => (isThroughput(row.scenario) ? r.cpuUsPerMiB : r.cpuUsPerRequest);
  const b = perUnit(base.median);
  return b > 0 ? perUnit(row.median) / b : undefined;
}

export const isThroughput = (scenario: string): boolean => scenario === 'file';
