// The committed results page (bench/RESULTS.md): which runs rewrite it, and what it holds.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseOptions, type BenchOptions } from '../../bench/lib/options.js';
import { resultsPage } from '../../bench/lib/report.js';
import type { BenchReport, RunSample } from '../../bench/lib/results.js';

const publishes = (argv: string[]): boolean => (parseOptions(argv) as BenchOptions).publish;

describe('npm run bench: the committed results page', () => {
  it('is rewritten by a full run only, unless --publish or --no-publish says otherwise', () => {
    expect(publishes([])).toBe(true);
    expect(publishes(['--runs', '5'])).toBe(true);
    expect(publishes(['--no-publish'])).toBe(false);
    expect(publishes(['--quick'])).toBe(false);
    expect(publishes(['--only', 'hello'])).toBe(false);
    expect(publishes(['--servers', 'tsgi-native'])).toBe(false);
    expect(publishes(['--quick', '--only', 'hello', '--publish'])).toBe(true);
  });

  it('holds the machine, the chart, the table and the goals of the run', () => {
    const sample: RunSample = {
      requestsPerSecond: 50_000, cpuUsPerRequest: 14, megabytesPerSecond: 0, cpuUsPerMiB: 0, busyPercent: 80,
      foreignPercent: 1, p50Us: 600, p99Us: 2000, requests: 250_000, errors: 0,
    };
    const report: BenchReport = {
      machine: {
        date: '2026-01-01T00:00:00.000Z', nproc: 2, cpuModel: 'Test CPU', kernel: '6.1', node: '20.20.2', uws: 'uws 20.30',
        wrk: 'wrk 4.1', loadBefore: 0.1, loadAfter: 0.2, serverCore: 0, clientCore: 1,
      },
      options: { runs: 3, seconds: 5, warmupSeconds: 1, quick: false, command: 'npm run bench' },
      rows: [
        { scenario: 'hello', server: 'tsgi-native', status: 'ok', runs: [sample], median: sample, spreadPercent: 0, peakRssKb: 80 * 1024 },
        { scenario: 'hello', server: 'uws-raw', status: 'ok', runs: [sample], median: { ...sample, cpuUsPerRequest: 20 }, spreadPercent: 0 },
      ],
    };
    const page = resultsPage(report);
    expect(page).toMatch(/^# Benchmark results\n/);
    expect(page).toContain('Test CPU');
    expect(page).toContain('![tsgi benchmark chart](chart.svg)');
    expect(page).toContain('| hello | tsgi-native | 50,000 | 14.00 | 0.70x |');
    expect(page).toContain('- met — tsgi-native hello: CPU/req ≤ 1.00x uws-raw: 0.70x');
  });

  it('is committed next to its chart and links back to the method and the docs', () => {
    const committed = readFileSync(fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url)), 'utf8');
    expect(committed).toMatch(/^# Benchmark results\n/);
    expect(committed).toContain('![tsgi benchmark chart](chart.svg)');
    expect(committed).toContain('[docs/benchmarks.md](../docs/benchmarks.md)');
  });
});
