// The TechEmpower rows of the results: their own table (requests/s first, as TFB ranks,
// with the server's and the database's CPU per request side by side) and the goals of
// issue 16: tsgi-native ≥ 1.5x fastify's req/s on json and fortunes, and within 10% of
// raw uWebSockets.js on the database tests.

import type { BenchReport, Row } from '../lib/results.js';
import { isTfbScenario } from './scenarios.js';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
function latency(us: number): string {
  if (us < 0) return 'n/a';
  return us >= 1000 ? `${(us / 1000).toFixed(us >= 100_000 ? 0 : 1)} ms` : `${int(us)} µs`;
}

function rate(rows: readonly Row[], scenario: string, server: string): number | undefined {
  return rows.find((r) => r.scenario === scenario && r.server === server)?.median?.requestsPerSecond;
}

function ratio(row: Row, rows: readonly Row[], baseline: string): string {
  const base = rate(rows, row.scenario, baseline);
  return base && row.median ? `${(row.median.requestsPerSecond / base).toFixed(2)}x` : '';
}

export function tfbRows(report: BenchReport): Row[] {
  return report.rows.filter((r) => isTfbScenario(r.scenario));
}

export function tfbTable(report: BenchReport): string {
  const rows = tfbRows(report);
  const header = ['test', 'server', 'req/s', 'vs uws-raw', 'vs fastify', 'server CPU µs/req', 'database CPU µs/req', 'core 0: server / db / other', 'p50', 'p99', 'errors', 'peak RSS', 'spread'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const row of rows) {
    const head = [row.scenario.slice('tfb-'.length), row.server];
    const m = row.median;
    if (!m) { lines.push(`| ${[...head, `${row.status}: ${row.reason ?? ''}`, ...Array<string>(header.length - 3).fill('')].join(' | ')} |`); continue; }
    lines.push(`| ${[
      ...head, int(m.requestsPerSecond), ratio(row, rows, 'uws-raw'), ratio(row, rows, 'fastify'),
      m.cpuUsPerRequest.toFixed(1), m.dbCpuUsPerRequest === undefined ? '' : m.dbCpuUsPerRequest.toFixed(1),
      `${int(m.busyPercent)}% / ${int(((m.dbCpuUsPerRequest ?? 0) * m.requestsPerSecond) / 1e4)}% / ${int(m.foreignPercent)}%`,
      latency(m.p50Us), latency(m.p99Us), int(m.errors), row.peakRssKb ? `${(row.peakRssKb / 1024).toFixed(0)} MiB` : '',
      `±${((row.spreadPercent ?? 0) / 2).toFixed(0)}%`,
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

interface TfbGoal { test: string; baseline: 'fastify' | 'uws-raw'; atLeast: number }
const GOALS: readonly TfbGoal[] = [
  { test: 'json', baseline: 'fastify', atLeast: 1.5 },
  { test: 'fortunes', baseline: 'fastify', atLeast: 1.5 },
  ...['db', 'queries', 'fortunes', 'updates'].map((test) => ({ test, baseline: 'uws-raw' as const, atLeast: 0.9 })),
];

/** One line per goal whose rows ran: met, missed (with the ratio) or not measured. */
export function tfbGoalLines(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const goal of GOALS) {
    const scenario = `tfb-${goal.test}`;
    const row = report.rows.find((r) => r.scenario === scenario && r.server === 'tsgi-native');
    const base = report.rows.find((r) => r.scenario === scenario && r.server === goal.baseline);
    if (!row || !base) continue;
    const what = `tsgi-native ${scenario}: req/s ≥ ${goal.atLeast.toFixed(2)}x ${goal.baseline}`;
    if (!row.median || !base.median) {
      const missing = row.median ? base : row;
      lines.push(`- not measured — ${what} (${missing.server}: ${missing.status}: ${missing.reason ?? ''})`);
      continue;
    }
    const r = row.median.requestsPerSecond / base.median.requestsPerSecond;
    // Server and database share core 0, so without other load req/s = 1 / (their CPU per
    // request): the ratio of those sums is the comparison with the machine's noise taken out.
    const cost = (m: NonNullable<Row['median']>): number => m.cpuUsPerRequest + (m.dbCpuUsPerRequest ?? 0);
    const capacity = cost(base.median) / cost(row.median);
    lines.push(`- ${r >= goal.atLeast ? 'met' : '**MISSED**'} — ${what}: ${r.toFixed(2)}x (by server + database CPU per request: ${capacity.toFixed(2)}x)`);
  }
  return lines;
}
