// Issue 16's goal for the Hono rows: the same Hono app at least 2x faster on tsgi
// (hono-tsgi, through fromFetch) than on @hono/node-server (hono-node), by req/s and by
// server CPU per request, same run.

import type { BenchReport } from '../lib/results.js';
import { HONO_SCENARIOS } from './scenarios.js';

const AT_LEAST = 2;

/** One line per hono-* scenario whose two rows ran: met, missed (with the ratios) or not measured. */
export function honoGoalLines(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const { name } of HONO_SCENARIOS) {
    const tsgi = report.rows.find((r) => r.scenario === name && r.server === 'hono-tsgi');
    const node = report.rows.find((r) => r.scenario === name && r.server === 'hono-node');
    if (!tsgi || !node) continue;
    const what = `hono-tsgi ${name}: req/s ≥ ${AT_LEAST.toFixed(2)}x and CPU/req ≤ 1/${AT_LEAST} of hono-node`;
    if (!tsgi.median || !node.median) {
      const missing = tsgi.median ? node : tsgi;
      lines.push(`- not measured — ${what} (${missing.server}: ${missing.status}: ${missing.reason ?? ''})`);
      continue;
    }
    const rate = tsgi.median.requestsPerSecond / node.median.requestsPerSecond;
    const cpu = node.median.cpuUsPerRequest / tsgi.median.cpuUsPerRequest;
    const met = rate >= AT_LEAST && cpu >= AT_LEAST;
    lines.push(`- ${met ? 'met' : '**MISSED**'} — ${what}: ${rate.toFixed(2)}x req/s, ${cpu.toFixed(2)}x less CPU per request`);
  }
  return lines;
}
