// Runs one scenario on its servers: start each, check its answer, then measured runs
// interleaved across servers (run 1 of every server, then run 2, …), so that a noisy
// moment on the machine spreads over all rows instead of hitting one.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario, ServerName } from '../scenarios.js';
import { launchServer, type LaunchContext } from '../servers.js';
import { checkAnswer } from './check.js';
import { pinned, Unavailable, type Launched } from './launch.js';
import { measureRun } from './measure.js';
import { treePeakRssKb, treeRssKb } from './proc-stats.js';
import type { Progress } from './progress.js';
import { summarize, type Row } from './results.js';

const IDLE_CLIENTS = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'idle-clients.js');
/** Seconds between two requests on each idle connection (see idle-clients.ts). */
const IDLE_REFRESH_SECONDS = 5;

export interface ScenarioPlan {
  scenario: Scenario;
  servers: ServerName[];
  runs: number;
  warmupSeconds: number;
  seconds: number;
  /** Check the whole answer (the full 1 GiB file) rather than its start. */
  fullCheck: boolean;
  clientCore: number;
  serverCore: number;
  idleConnections: number;
  script: string;
  /** The database's postmaster, for scenarios with a database. */
  dbPid?: number;
}

interface Live { row: Row; server: Launched }

async function start(plan: ScenarioPlan, server: ServerName, ctx: LaunchContext, progress: Progress): Promise<Live | Row> {
  const row: Row = { scenario: plan.scenario.name, server, status: 'ok', runs: [] };
  progress.show(`${plan.scenario.name} · ${server} · starting and checking its answer`);
  let launched: Launched;
  try {
    launched = await launchServer(server, plan.scenario, ctx);
  } catch (error) {
    row.status = error instanceof Unavailable ? 'unavailable' : 'failed';
    row.reason = (error as Error).message;
    return row;
  }
  try {
    await checkAnswer(plan.scenario.check, launched.port, plan.scenario.path, plan.fullCheck, plan.scenario.tls ? ctx.tls?.ca : undefined);
  } catch (error) {
    row.status = 'failed';
    row.reason = `wrong answer: ${(error as Error).message}`;
    await launched.stop();
    return row;
  }
  return { row, server: launched };
}

async function measure(plan: ScenarioPlan, live: Live, run: number, progress: Progress): Promise<void> {
  const { row, server } = live;
  progress.show(`${plan.scenario.name} · ${row.server} · run ${run}/${plan.runs}`);
  if (row.status !== 'ok') return progress.step();
  try {
    const sample = await measureRun({
      scenario: plan.scenario, pid: server.pid, port: server.port, script: plan.script,
      warmupSeconds: plan.warmupSeconds, seconds: plan.seconds, clientCore: plan.clientCore, serverCore: plan.serverCore,
      dbPid: plan.dbPid,
    });
    if (sample.errors > 0) progress.note(`  ${plan.scenario.name} · ${row.server}: wrk reported ${sample.errors} errors in run ${run}`);
    row.runs.push(sample);
  } catch (error) {
    row.status = 'failed';
    row.reason = (error as Error).message;
  }
  progress.step();
}

async function finish(live: Live): Promise<Row> {
  live.row.peakRssKb = treePeakRssKb(live.server.pid);
  await live.server.stop();
  if (live.row.status === 'ok') summarize(live.row);
  return live.row;
}

function skipSteps(plan: ScenarioPlan, progress: Progress): void {
  for (let i = 0; i < plan.runs; i++) progress.step();
}

export async function runScenario(plan: ScenarioPlan, ctx: LaunchContext, progress: Progress): Promise<Row[]> {
  if (plan.idleConnections > 0) return runIdleScenario(plan, ctx, progress);
  const rows: Row[] = [];
  const live: Live[] = [];
  for (const server of plan.servers) {
    const started = await start(plan, server, ctx, progress);
    if ('row' in started) live.push(started);
    else { rows.push(started); skipSteps(plan, progress); }
  }
  for (let run = 1; run <= plan.runs; run++) {
    for (const l of live) await measure(plan, l, run, progress);
  }
  for (const l of live) rows.push(await finish(l));
  const order = (r: Row): number => plan.servers.indexOf(r.server);
  return rows.sort((a, b) => order(a) - order(b));
}

/** Spawn the idle-connection holder; resolves once every connection is open. */
function openIdle(port: number, count: number, core: number, nofile: number | undefined): Promise<{ child: ChildProcess; open: number }> {
  const args = pinned(core, nofile, [process.execPath, IDLE_CLIENTS, String(port), String(count), String(IDLE_REFRESH_SECONDS)]);
  const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const ready = /IDLE_READY (\d+)/.exec(out);
      if (ready) resolve({ child, open: Number(ready[1]) });
      const failed = /IDLE_FAILED (.*)/.exec(out);
      if (failed) reject(new Error(`idle connections: ${failed[1]}`));
    });
    child.once('exit', (code) => reject(new Error(`idle client exited with ${code}: ${out.trim()}`)));
  });
}

function askAlive(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /IDLE_ALIVE (\d+)/.exec(out);
      if (m) { child.stdout!.off('data', onData); resolve(Number(m[1])); }
    };
    child.stdout!.on('data', onData);
    child.kill('SIGUSR2');
    setTimeout(() => resolve(-1), 3000);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function runIdleScenario(plan: ScenarioPlan, ctx: LaunchContext, progress: Progress): Promise<Row[]> {
  const rows: Row[] = [];
  for (const server of plan.servers) {
    const started = await start(plan, server, ctx, progress);
    if (!('row' in started)) { rows.push(started); skipSteps(plan, progress); continue; }
    const { row, server: launched } = started;
    const rssBeforeKb = treeRssKb(launched.pid);
    let idle: { child: ChildProcess; open: number } | undefined;
    try {
      progress.show(`${plan.scenario.name} · ${server} · opening ${plan.idleConnections} idle connections`);
      idle = await openIdle(launched.port, plan.idleConnections, plan.clientCore, ctx.nofile);
      await new Promise((r) => setTimeout(r, 500));
      const rssWithIdleKb = treeRssKb(launched.pid);
      for (let run = 1; run <= plan.runs; run++) await measure(plan, started, run, progress);
      row.idle = { requested: plan.idleConnections, open: idle.open, aliveAtEnd: await askAlive(idle.child), rssBeforeKb, rssWithIdleKb };
    } catch (error) {
      row.status = 'failed';
      row.reason = (error as Error).message;
      skipSteps(plan, progress);
    }
    const done = await finish(started);
    if (idle) await stopChild(idle.child);
    rows.push(done);
  }
  return rows;
}
