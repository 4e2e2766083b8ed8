// `npm run bench`: every scenario on every tsgi engine that loads and on the baselines,
// side by side. Prints progress and a table; writes results/bench-<time>.{json,md,svg}
// (and results/latest.*); a full run also rewrites the committed bench/RESULTS.md and
// bench/chart.svg. Method: bench/README.md.

import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderChart } from './lib/chart.js';
import { describeMachine, openFilesLimit } from './lib/machine.js';
import { parseOptions, USAGE, type BenchOptions } from './lib/options.js';
import { loadAverage } from './lib/proc-stats.js';
import { Progress } from './lib/progress.js';
import { goalLines, machineLines, markdownTable, resultsPage } from './lib/report.js';
import type { BenchReport, Row } from './lib/results.js';
import { runScenario } from './lib/scenario-runner.js';
import { writeWrkScript } from './lib/wrk.js';
import { FILE_SIZE } from './scenario-data.js';
import { SCENARIOS } from './scenarios.js';
import { tlsFixture } from './lib/tls-certs.js';
import type { LaunchContext } from './servers.js';
import { startTfbDatabase } from './tfb/database.js';

// Compiled to dist/bench/run.js; the committed page lives in the sources, bench/.
const PUBLISHED_PAGE = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
const PUBLISHED_CHART = fileURLToPath(new URL('../../bench/chart.svg', import.meta.url));

const SERVER_CORE = 0;
const CLIENT_CORE = 1;

/** A sparse file: it reads as zeros from the page cache, so the disk is never the limit. */
function createSparseFile(dir: string): string {
  const path = join(dir, 'bench.bin');
  const fd = openSync(path, 'w', 0o644);
  ftruncateSync(fd, FILE_SIZE);
  closeSync(fd);
  return path;
}

async function main(options: BenchOptions): Promise<void> {
  const scenarios = SCENARIOS.filter((s) => options.scenarios.includes(s.name));
  const tmpDir = mkdtempSync(join(tmpdir(), 'tsgi-bench-'));
  const cleanup = (): void => rmSync(tmpDir, { recursive: true, force: true });
  process.once('SIGINT', () => { cleanup(); process.exit(130); });
  const machine = describeMachine(SERVER_CORE, CLIENT_CORE);
  const profileDir = options.cpuProf ? join(options.outDir, 'profiles') : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const serverLog: string[] = [];
  const ctx: LaunchContext = {
    tmpDir,
    filePath: scenarios.some((s) => s.app === 'file') ? createSparseFile(tmpDir) : join(tmpDir, 'bench.bin'),
    serverCore: SERVER_CORE,
    nofile: openFilesLimit(),
    cpuProfDir: profileDir,
    log: (line) => serverLog.push(line),
  };
  if (scenarios.some((s) => s.tls)) {
    const certs = tlsFixture(); // one ECDSA P-256 certificate for every TLS server
    ctx.tls = { certFile: certs.path('server'), keyFile: certs.path('server-key'), ca: certs.caCert };
  }

  // The TFB rows' PostgreSQL, pinned to the server's core: one database for the whole run.
  const database = scenarios.some((s) => s.database) ? await startTfbDatabase(SERVER_CORE, ctx.log) : undefined;
  if (database && 'running' in database) ctx.postgres = { connection: database.running.connectionOptions, pid: database.running.pid };

  const plans = scenarios.map((scenario) => ({
    scenario,
    servers: scenario.servers.filter((s) => options.servers.includes(s)),
    runs: options.runs,
    warmupSeconds: options.warmupSeconds,
    seconds: options.durationGiven || options.quick || !scenario.defaultSeconds ? options.seconds : scenario.defaultSeconds,
    fullCheck: !options.quick,
    clientCore: CLIENT_CORE,
    serverCore: SERVER_CORE,
    idleConnections: scenario.idleConnections > 0 ? (options.idleConnections ?? scenario.idleConnections) : 0,
    script: writeWrkScript(tmpDir, scenario.name, scenario.wrkScript),
    dbPid: scenario.database ? ctx.postgres?.pid : undefined,
  }));
  const steps = plans.reduce((n, p) => n + p.servers.length * p.runs, 0);
  const progress = new Progress(steps, options.warmupSeconds + options.seconds + 1);
  process.stderr.write(`tsgi bench: ${scenarios.length} scenarios, ${steps} measured runs; Node ${machine.node}, ${machine.uws}; load ${machine.loadBefore.toFixed(2)}\n`);
  if (database && 'skip' in database) progress.note(`tfb-* scenarios skipped: ${database.skip}`);
  if (machine.loadBefore > 0.5) progress.note(`warning: load average is ${machine.loadBefore.toFixed(2)}; numbers will be noisy`);

  const rows: Row[] = [];
  try {
    for (const plan of plans) {
      if (plan.scenario.database && !ctx.postgres) {
        const reason = database && 'skip' in database ? database.skip : 'PostgreSQL is not running';
        rows.push(...plan.servers.map((server) => ({ scenario: plan.scenario.name, server, status: 'unavailable' as const, reason, runs: [] })));
        for (let i = 0; i < plan.servers.length * plan.runs; i++) progress.step();
        continue;
      }
      rows.push(...(await runScenario(plan, ctx, progress)));
    }
  } finally {
    if (database && 'running' in database) await database.running.stop();
    cleanup();
  }
  machine.loadAfter = loadAverage();
  const report: BenchReport = {
    machine,
    options: {
      runs: options.runs, seconds: options.seconds, warmupSeconds: options.warmupSeconds, quick: options.quick,
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    },
    rows,
  };
  const table = markdownTable(report);
  const goals = goalLines(report);
  const markdown = [...machineLines(report), '', table, '', 'Goals:', ...goals, ''].join('\n');
  progress.note('');
  process.stdout.write(markdown + '\n');

  mkdirSync(options.outDir, { recursive: true });
  const stamp = machine.date.replace(/[:.]/g, '-');
  const base = join(options.outDir, `bench-${stamp}`);
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(`${base}.svg`, renderChart(report));
  for (const ext of ['json', 'md', 'svg']) copyFileSync(`${base}.${ext}`, join(options.outDir, `latest.${ext}`));
  if (serverLog.length > 0) writeFileSync(`${base}.servers.log`, serverLog.join(''));
  process.stdout.write(`\nwrote ${base}.json, .md and .svg (chart)${serverLog.length > 0 ? ', .servers.log' : ''}\n`);
  if (options.publish) {
    writeFileSync(PUBLISHED_PAGE, resultsPage(report));
    writeFileSync(PUBLISHED_CHART, renderChart(report));
    process.stdout.write(`wrote ${PUBLISHED_PAGE} and ${PUBLISHED_CHART} (commit them)\n`);
  }
}

let parsed: BenchOptions | 'help';
try {
  parsed = parseOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
if (parsed === 'help') process.stdout.write(USAGE + '\n');
else await main(parsed);
