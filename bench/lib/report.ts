// The table at the end of a run, the goals the project reports against, and the
// committed results page (bench/RESULTS.md) built from them.

import { honoGoalLines } from '../hono/report.js';
import { SCENARIOS } from '../scenarios.js';
import { isThroughput, ratioToUwsRaw, type BenchReport, type Row } from './results.js';
import { tfbGoalLines, tfbRows, tfbTable } from '../tfb/report.js';
import { isTfbScenario } from '../tfb/scenarios.js';

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits: number): string => n.toFixed(digits);
function latency(us: number): string {
  if (us < 0) return 'n/a';
  return us >= 1000 ? `${fixed(us / 1000, us >= 100_000 ? 0 : 1)} ms` : `${int(us)} µs`;
}
const mib = (kb: number): string => `${fixed(kb / 1024, 0)} MiB`;

function cells(row: Row, rows: readonly Row[]): string[] {
  const head = [row.scenario, row.server];
  if (!row.median) return [...head, `${row.status}: ${row.reason ?? ''}`, '', '', '', '', '', '', ''];
  const m = row.median;
  const ratio = ratioToUwsRaw(row, rows);
  const throughput = isThroughput(row.scenario);
  const rate = throughput ? `${int(m.megabytesPerSecond)} MB/s` : int(m.requestsPerSecond);
  const cpu = throughput ? `${fixed(m.cpuUsPerMiB, 1)} µs/MiB` : fixed(m.cpuUsPerRequest, 2);
  let rss = row.peakRssKb ? mib(row.peakRssKb) : '';
  if (row.idle) {
    const perConn = (row.idle.rssWithIdleKb - row.idle.rssBeforeKb) / Math.max(1, row.idle.open);
    rss += ` (${fixed(perConn, 1)} KiB/idle conn, ${int(row.idle.aliveAtEnd)} alive)`;
  }
  const errors = m.errors > 0 ? ` ⚠ ${int(m.errors)} errors` : '';
  return [
    ...head, rate + errors, cpu, ratio === undefined ? '' : `${fixed(ratio, 2)}x`, `${int(m.busyPercent)}% / ${int(m.foreignPercent)}%`,
    latency(m.p50Us), latency(m.p99Us), rss, `±${fixed((row.spreadPercent ?? 0) / 2, 0)}%`,
  ];
}

export function markdownTable(report: BenchReport): string {
  const header = ['scenario', 'server', 'req/s', 'CPU µs/req', 'vs uws-raw (TLS: vs nginx)', 'server busy / other on its core', 'p50', 'p99', 'peak RSS', 'spread'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  const main = report.rows.filter((row) => !isTfbScenario(row.scenario));
  for (const row of main) lines.push(`| ${cells(row, report.rows).join(' | ')} |`);
  if (main.length === 0) lines.length = 0;
  // The TechEmpower rows have their own columns (database CPU, errors, two baselines).
  if (tfbRows(report).length > 0) lines.push(...(main.length > 0 ? [''] : []), 'TechEmpower test types (PostgreSQL on the server\'s core; runs of 2 s unless --duration was given; req/s ratios, same run):', '', tfbTable(report));
  return lines.join('\n');
}

interface Goal { server: string; scenario: string; limit: number }

function goals(): Goal[] {
  const out: Goal[] = [];
  for (const s of SCENARIOS) {
    if (isTfbScenario(s.name)) continue; // judged by req/s instead: tfbGoalLines
    out.push({ server: 'tsgi-uws', scenario: s.name, limit: 1.1 });
    if (s.tls) { out.push({ server: 'tsgi-native', scenario: s.name, limit: 1.1 }); continue; }
    out.push({ server: 'tsgi-native', scenario: s.name, limit: s.name === 'pipelined' ? 0.7 : 1.0 });
  }
  return out;
}

/** One line per goal: met, missed (with the number) or not measured (with why). */
export function goalLines(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const goal of goals()) {
    const row = report.rows.find((r) => r.server === goal.server && r.scenario === goal.scenario);
    if (!row) continue;
    const baseline = SCENARIOS.find((s) => s.name === goal.scenario)?.baseline ?? 'uws-raw';
    const what = `${goal.server} ${goal.scenario}: CPU/${isThroughput(goal.scenario) ? 'MiB' : 'req'} ≤ ${goal.limit.toFixed(2)}x ${baseline}`;
    if (!row.median) { lines.push(`- not measured — ${what} (${row.status}: ${row.reason ?? ''})`); continue; }
    const ratio = ratioToUwsRaw(row, report.rows);
    if (ratio === undefined) { lines.push(`- not compared — ${what} (no ${baseline} row)`); continue; }
    lines.push(`- ${ratio <= goal.limit ? 'met' : '**MISSED**'} — ${what}: ${ratio.toFixed(2)}x`);
  }
  return [...lines, ...tfbGoalLines(report), ...honoGoalLines(report)];
}

export function machineLines(report: BenchReport): string[] {
  const m = report.machine;
  const o = report.options;
  return [
    `- ${m.nproc} cores, ${m.cpuModel}, Linux ${m.kernel}; Node ${m.node}; ${m.uws}; ${m.wrk}`,
    `- server on core ${m.serverCore}, wrk (-t1) on core ${m.clientCore}; ${o.runs} run(s) of ${o.seconds} s per row, each after ${o.warmupSeconds > 0 ? `a ${o.warmupSeconds} s wrk warm-up` : 'a warm-up of 10,000 requests (at most 0.5 s)'}; medians quoted`,
    `- load average (1 min) ${m.loadBefore.toFixed(2)} before, ${m.loadAfter.toFixed(2)} after; ${m.date}`,
    `- command: \`${o.command}\``,
  ];
}

/** bench/RESULTS.md: the committed results page, rewritten by a full `npm run bench`. */
export function resultsPage(report: BenchReport): string {
  return [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/run.ts) from its last full run; do not edit by hand.',
    'What each scenario does and how it is measured: [README.md](README.md); what the',
    'numbers mean and where the time goes: [docs/benchmarks.md](../docs/benchmarks.md).',
    '',
    ...machineLines(report),
    '',
    '![tsgi benchmark chart](chart.svg)',
    '',
    markdownTable(report),
    '',
    'Goals (server CPU per request relative to raw uWebSockets.js, or nginx for TLS; for the',
    'TechEmpower rows requests/s relative to fastify or raw uWebSockets.js; for the Hono rows',
    'requests/s and CPU per request relative to @hono/node-server; same run):',
    '',
    ...goalLines(report),
    '',
  ].join('\n');
}
