// The supervisor (the process `tsgi` starts): keeps --workers worker processes alive.
//
// - A worker that exits unexpectedly is replaced. One that never booted at start-up
//   stops everything (exit 3/4, as gunicorn), since its replacements would fail alike.
// - A worker whose heartbeat is older than --timeout has a blocked event loop: SIGKILL,
//   then replaced like a crash.
// - Recycling (--max-requests, --max-worker-rss, --max-worker-lifetime) and SIGHUP are
//   replacements: the new worker boots and listens first, then the old one stops
//   gracefully, one worker at a time, so capacity never drops and no request fails.
// - SIGTERM/SIGINT: every worker stops gracefully (--graceful-timeout), then exit 0.
// - With TLS, SIGHUP first re-reads and checks the certificate files (as nginx does): a
//   bad one is logged and the current workers keep serving the old certificate; a good
//   one is loaded by the replacement workers, so a certificate rotates with no outage.

import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { execArgvFor, parseAppSpec } from './load-app.js';
import { youngSpaceFlags } from './v8-flags.js';
import type { LevelLogger } from './logger.js';
import { formatBind, type Bind, type CliConfig } from './options.js';
import type { Plan } from './plan.js';
import { isWorkerMessage, WORKER_SPEC_ENV, type SupervisorMessage, type WorkerMessage, type WorkerSpec } from './protocol.js';
import { watchSources } from './reload.js';
import { checkTls, describe, expiredWarning } from './tls.js';
import type { EngineTls } from '../tls-options.js';

type State = 'booting' | 'ready' | 'stopping';

interface Slot {
  worker: Worker;
  state: State;
  spawnedAt: number;
  lastBeat: number;
  /** Recycle after this time (--max-worker-lifetime), or 0. */
  retireAt: number;
  /** Already queued for replacement. */
  replacing: boolean;
  ready: Promise<boolean>;
  markReady(ok: boolean): void;
  exited: Promise<void>;
  bootError?: string;
}

const MONITOR_MS = 200;

export class Supervisor {
  private readonly slots = new Set<Slot>();
  private readonly binds: Bind[];
  /** Ports the first worker reported (the real ones when a bind asked for port 0). */
  private ports: number[] | undefined;
  private target: number;
  private shuttingDown = false;
  private everReady = false;
  private replacements: Promise<void> = Promise.resolve();
  private monitor: NodeJS.Timeout | undefined;
  private exitCode = 0;
  private stopWatching: (() => void) | undefined;
  private finished!: (code: number) => void;
  readonly done = new Promise<number>((r) => { this.finished = r; });

  /** `tls`: the certificate as checked before start (main.ts), for the log. */
  constructor(private readonly config: CliConfig, private readonly plan: Plan, private readonly log: LevelLogger, private tls?: EngineTls) {
    this.binds = config.binds.map((b) => ({ ...b }));
    this.target = config.workers;
  }

  async start(): Promise<void> {
    cluster.schedulingPolicy = cluster.SCHED_RR;
    cluster.setupPrimary({
      exec: fileURLToPath(new URL('./worker.js', import.meta.url)),
      execArgv: [
        ...process.execArgv,
        ...youngSpaceFlags(this.config.youngSpace, process.execArgv, process.env.NODE_OPTIONS),
        ...execArgvFor(this.config.module),
      ],
    });
    this.installSignals();
    this.monitor = setInterval(() => this.checkWorkers(), MONITOR_MS);
    const first = this.spawn();
    if (!(await first.ready)) return this.abortBoot(first);
    const rest = Array.from({ length: this.target - 1 }, () => this.spawn());
    for (const slot of rest) if (!(await slot.ready)) return this.abortBoot(slot);
    this.everReady = true;
    const scheme = this.tls ? 'https' : 'http';
    const certificate = this.tls ? `, certificate ${describe(this.tls)}` : '';
    this.binds.forEach((bind, i) => this.log.info(`Listening at: ${formatBind(bind, this.ports?.[i], scheme)} (${process.pid})${certificate}`));
    if (this.tls) this.warnIfExpired(this.tls);
    this.log.info(`Using engine ${this.plan.engine} (${this.plan.why}), ${this.target} worker${this.target > 1 ? 's' : ''}`);
    if (this.config.reload) {
      const root = dirname(resolve(parseAppSpec(this.config.module).module));
      this.stopWatching = watchSources(root, (file) => {
        this.log.info(`${file} changed: reloading`);
        if (this.tlsStillGood('reload')) this.reloadAll();
      });
    }
  }

  private spawn(): Slot {
    const spec: WorkerSpec = {
      config: this.config,
      engine: this.plan.engine,
      binds: this.binds,
      multiprocess: this.target > 1,
      cwd: process.cwd(),
      heartbeatMs: this.config.timeout > 0 ? Math.min(1000, Math.max(50, (this.config.timeout * 1000) / 4)) : 1000,
    };
    const worker = cluster.fork({ [WORKER_SPEC_ENV]: JSON.stringify(spec) });
    let markReady!: (ok: boolean) => void;
    const ready = new Promise<boolean>((r) => { markReady = r; });
    let exitedResolve!: () => void;
    const exited = new Promise<void>((r) => { exitedResolve = r; });
    const now = Date.now();
    const lifetime = this.config.maxWorkerLifetime * 1000;
    const slot: Slot = {
      worker, state: 'booting', spawnedAt: now, lastBeat: now, replacing: false, ready, exited,
      retireAt: lifetime > 0 ? now + lifetime * (1 + 0.1 * Math.random()) : 0,
      markReady: (ok) => markReady(ok),
    };
    this.slots.add(slot);
    worker.on('message', (message: unknown) => { if (isWorkerMessage(message)) this.onMessage(slot, message); });
    worker.on('exit', (code, signal) => {
      this.slots.delete(slot);
      slot.markReady(false);
      exitedResolve();
      this.onExit(slot, code, signal);
    });
    return slot;
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    slot.lastBeat = Date.now();
    switch (message.type) {
      case 'ready':
        if (!this.ports) this.ports = message.ports;
        if (slot.state === 'booting') slot.state = 'ready';
        slot.markReady(true);
        break;
      case 'heartbeat':
        if (this.config.maxWorkerRss > 0 && message.rss > this.config.maxWorkerRss * 1024 * 1024) {
          this.replace(slot, `resident memory ${Math.round(message.rss / 1048576)} MB > --max-worker-rss ${this.config.maxWorkerRss}`);
        }
        break;
      case 'retire':
        this.replace(slot, message.reason);
        break;
      case 'boot-error':
        slot.bootError = message.message;
        break;
      case 'drained':
        // Sent after cluster has removed the worker from round robin (its listener's
        // close came first on this channel): no hand-over can follow this answer.
        if (slot.worker.isConnected()) slot.worker.send({ type: 'exit' } satisfies SupervisorMessage);
        break;
    }
  }

  private onExit(slot: Slot, code: number | null, signal: string | null): void {
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (slot.state === 'stopping' || this.shuttingDown) {
      this.log.debug(`worker ${slot.worker.process.pid} exited (${how})`);
      if (this.shuttingDown && this.slots.size === 0) this.finish();
      return;
    }
    if (!this.everReady) return; // start() reports it
    if (slot.state === 'booting') {
      this.log.error(`worker ${slot.worker.process.pid} failed to boot (${how})`);
    } else {
      this.log.error(`worker ${slot.worker.process.pid} exited unexpectedly (${how}); starting a new one`);
    }
    // A worker that cannot even boot would crash-loop: slow down.
    const delay = slot.state === 'booting' ? 1000 : 0;
    setTimeout(() => { if (!this.shuttingDown && this.liveCount() < this.target) this.spawn(); }, delay);
  }

  private liveCount(): number {
    let n = 0;
    for (const s of this.slots) if (s.state !== 'stopping') n++;
    return n;
  }

  private checkWorkers(): void {
    const now = Date.now();
    const timeoutMs = this.config.timeout * 1000;
    for (const slot of this.slots) {
      if (slot.state === 'stopping') continue;
      const limit = slot.state === 'booting' ? Math.max(timeoutMs, 30_000) : timeoutMs;
      if (timeoutMs > 0 && now - slot.lastBeat > limit) {
        this.log.critical(`WORKER TIMEOUT (pid:${slot.worker.process.pid}): no heartbeat for ${now - slot.lastBeat} ms (--timeout ${this.config.timeout}); killing it`);
        slot.worker.process.kill('SIGKILL');
        slot.lastBeat = Infinity; // one kill is enough; 'exit' replaces it
      } else if (slot.retireAt > 0 && now > slot.retireAt && slot.state === 'ready') {
        this.replace(slot, `lived longer than --max-worker-lifetime ${this.config.maxWorkerLifetime} s`);
      }
    }
  }

  /** Queue a graceful replacement: boot a new worker, then stop this one. */
  private replace(slot: Slot, reason: string): Promise<void> {
    if (slot.replacing || this.shuttingDown) return this.replacements;
    slot.replacing = true;
    this.replacements = this.replacements.then(async () => {
      if (this.shuttingDown || slot.state === 'stopping' || !this.slots.has(slot)) return;
      this.log.info(`replacing worker ${slot.worker.process.pid}: ${reason}`);
      const fresh = this.spawn();
      if (!(await fresh.ready)) {
        slot.replacing = false;
        this.log.error(`the new worker could not boot${fresh.bootError ? ': ' + fresh.bootError : ''}; keeping worker ${slot.worker.process.pid}`);
        return;
      }
      this.stop(slot);
    });
    return this.replacements;
  }

  private stop(slot: Slot): void {
    if (slot.state === 'stopping') return;
    slot.state = 'stopping';
    const message: SupervisorMessage = { type: 'stop' };
    if (slot.worker.isConnected()) slot.worker.send(message);
    const kill = setTimeout(() => {
      this.log.warn(`worker ${slot.worker.process.pid} did not stop within --graceful-timeout; killing it`);
      slot.worker.process.kill('SIGKILL');
    }, this.config.gracefulTimeout * 1000 + 2000);
    void slot.exited.then(() => clearTimeout(kill));
  }

  /** With TLS, before a reload: re-read and check the certificate files. False (and one
   * error line) when they are bad: the caller then keeps the current workers, which
   * still serve the certificate they loaded. */
  private tlsStillGood(why: string): boolean {
    if (!this.config.tls) return true;
    try {
      const next = checkTls(this.config.tls, process.env);
      if (next.cert !== this.tls?.cert) {
        this.log.info(`${why}: new certificate ${describe(next)}`);
        this.warnIfExpired(next);
      }
      this.tls = next;
      return true;
    } catch (error) {
      this.log.error(`${why}: ${(error as Error).message}; keeping the current workers and certificate`);
      return false;
    }
  }

  private warnIfExpired(tls: EngineTls): void {
    const warning = expiredWarning(tls);
    if (warning) this.log.warn(warning);
  }

  /** SIGHUP / --reload: every current worker, one by one, by a freshly loaded one. */
  reloadAll(): void {
    const old = [...this.slots].filter((slot) => slot.state !== 'stopping');
    for (const slot of old) void this.replace(slot, 'reload');
    // Complete once every old worker that was replaced has exited.
    void this.replacements
      .then(() => Promise.all(old.filter((slot) => slot.state === 'stopping').map((slot) => slot.exited)))
      .then(() => { if (!this.shuttingDown) this.log.info(`reload complete: ${this.liveCount()} workers`); });
  }

  shutdown(signal: string): void {
    if (this.shuttingDown) {
      this.log.warn(`${signal} again: killing the workers now`);
      for (const slot of this.slots) slot.worker.process.kill('SIGKILL');
      return;
    }
    this.shuttingDown = true;
    this.log.info(`${signal}: shutting down gracefully (--graceful-timeout ${this.config.gracefulTimeout} s)`);
    clearInterval(this.monitor);
    this.stopWatching?.();
    for (const slot of this.slots) this.stop(slot);
    if (this.slots.size === 0) this.finish();
  }

  private finish(): void {
    clearInterval(this.monitor);
    this.log.info('shutdown complete');
    this.finished(this.exitCode);
  }

  private async abortBoot(slot: Slot): Promise<void> {
    await slot.exited;
    if (this.shuttingDown) return; // stopped by a signal while booting: shutdown() finishes
    clearInterval(this.monitor);
    this.log.critical(`worker failed to boot${slot.bootError ? ': ' + slot.bootError : ''}`);
    this.exitCode = slot.worker.process.exitCode ?? 3;
    this.shuttingDown = true;
    for (const s of this.slots) this.stop(s);
    await Promise.all([...this.slots].map((s) => s.exited));
    this.finished(this.exitCode || 3);
  }

  private installSignals(): void {
    process.on('SIGTERM', () => this.shutdown('SIGTERM'));
    process.on('SIGINT', () => this.shutdown('SIGINT'));
    process.on('SIGHUP', () => {
      if (!this.tlsStillGood('SIGHUP')) return;
      this.log.info('SIGHUP: reloading every worker');
      this.reloadAll();
    });
    process.on('SIGTTIN', () => {
      this.target++;
      this.log.info(`SIGTTIN: ${this.target} workers`);
      this.spawn();
    });
    process.on('SIGTTOU', () => {
      if (this.target <= 1) return;
      this.target--;
      this.log.info(`SIGTTOU: ${this.target} workers`);
      const victim = [...this.slots].find((s) => s.state === 'ready');
      if (victim) this.stop(victim);
    });
  }
}
