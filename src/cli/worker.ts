// One worker process: loads the app, serves it on every bind with its own engine, sends
// heartbeats from its event loop (a blocked loop sends none: the supervisor then kills
// it), and stops gracefully when told. Started by the supervisor through node:cluster.

import cluster from 'node:cluster';
import { serveFast } from '../serve.js';
import type { Server } from '../types.js';
import { composeApp } from './compose-app.js';
import { AppLoadError, loadApp } from './load-app.js';
import { createLogger, openLogTarget } from './logger.js';
import { deferIdleConnectionClose } from './node-drain.js';
import { WORKER_SPEC_ENV, type SupervisorMessage, type WorkerMessage, type WorkerSpec } from './protocol.js';

/** Exit codes, as gunicorn: 3 the worker could not boot, 4 the app could not load. */
export const EXIT_WORKER_BOOT_ERROR = 3;
export const EXIT_APP_LOAD_ERROR = 4;

/** After an engine without connection tracking (uws) reports closed, keep the process
 * up this long so connections accepted just before the stop still get their answer
 * (with Connection: close). */
const LINGER_MS = 300;

const send = (message: WorkerMessage): void => {
  if (process.connected) process.send!(message);
};

async function main(): Promise<void> {
  const spec = JSON.parse(process.env[WORKER_SPEC_ENV] ?? 'null') as WorkerSpec | null;
  if (!spec || !cluster.isWorker) {
    process.stderr.write('tsgi: worker.js is started by the tsgi supervisor; run `tsgi MODULE` instead\n');
    process.exit(2);
  }
  const { config } = spec;
  const log = createLogger(config.errorLog, config.logLevel);
  // The supervisor coordinates every stop: a terminal's Ctrl-C or hang-up reaches the
  // whole process group, and must not kill requests here.
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  // A stop asked for while booting is honoured once the servers exist.
  let stopDuringBoot: string | undefined;
  let requestStop = (why: string): void => { stopDuringBoot ??= why; };
  process.on('message', (message: unknown) => {
    if ((message as SupervisorMessage | null)?.type === 'stop') requestStop('asked by the supervisor');
  });
  process.on('SIGTERM', () => requestStop('SIGTERM'));
  // The supervisor is gone: do not outlive it.
  process.on('disconnect', () => requestStop('the supervisor went away'));

  let app;
  try {
    app = await loadApp(config.module, spec.cwd);
  } catch (error) {
    const message = error instanceof AppLoadError ? error.message : ((error as Error).stack ?? String(error));
    log.critical(`cannot load the application: ${message}`);
    send({ type: 'boot-error', message });
    await log.close();
    process.exit(EXIT_APP_LOAD_ERROR);
  }

  let requests = 0;
  const retireAfter = config.maxRequests > 0 ? config.maxRequests + Math.floor(Math.random() * (config.maxRequestsJitter + 1)) : 0;
  const accessTarget = config.accessLog !== undefined ? openLogTarget(config.accessLog, process.stdout) : undefined;
  const composed = composeApp(app, config, {
    accessLine: accessTarget ? batchLines((text) => accessTarget.stream.write(text)) : undefined,
    onRequest: retireAfter > 0
      ? () => {
        if (++requests === retireAfter) send({ type: 'retire', reason: `served ${requests} requests (--max-requests)` });
      }
      : undefined,
  });

  if (spec.engine === 'node') deferIdleConnectionClose();
  const servers: Server[] = [];
  try {
    for (const bind of spec.binds) {
      servers.push(await serveFast(composed, {
        engine: spec.engine,
        ...(bind.kind === 'unix' ? { path: bind.path } : { host: bind.host, port: bind.port }),
        reusePort: true,
        multiprocess: spec.multiprocess,
        keepAliveTimeout: config.keepAlive,
        headersTimeout: config.headerTimeout,
        bodyTimeout: config.bodyTimeout,
        maxBodySize: config.maxBodySize,
        maxRequestLine: config.limitRequestLine,
        maxHeaderCount: config.limitRequestFields,
        maxHeaderSize: config.limitRequestFieldSize,
        logger: log,
      }));
    }
  } catch (error) {
    const message = `cannot listen: ${(error as Error).message}`;
    log.critical(message);
    send({ type: 'boot-error', message });
    await log.close();
    process.exit(EXIT_WORKER_BOOT_ERROR);
  }

  const heartbeat = setInterval(() => {
    send({ type: 'heartbeat', rss: process.memoryUsage.rss(), requests });
  }, spec.heartbeatMs);

  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.debug(`worker stopping: ${why}`);
    const deadline = Date.now() + config.gracefulTimeout * 1000;
    const forced = setTimeout(() => {
      log.warn(`graceful timeout (${config.gracefulTimeout} s): closing the remaining connections`);
      void finish(0);
    }, config.gracefulTimeout * 1000);
    await Promise.all(servers.map((s) => s.close()));
    if (spec.engine !== 'node') await new Promise((r) => setTimeout(r, Math.max(0, Math.min(LINGER_MS, deadline - Date.now()))));
    clearTimeout(forced);
    await finish(0);
  };
  const finish = async (code: number): Promise<void> => {
    clearInterval(heartbeat);
    await Promise.all([log.close(), accessTarget?.close()]);
    process.exit(code);
  };
  requestStop = (why) => void stop(why);
  if (stopDuringBoot !== undefined) return void stop(stopDuringBoot);
  send({ type: 'ready', ports: servers.map((s) => s.port), engine: spec.engine });
  log.info(`worker ${process.pid} booted (engine ${spec.engine})`);
}

/** One write per event-loop turn instead of one per request. */
function batchLines(write: (text: string) => void): (line: string) => void {
  let pending = '';
  const flush = (): void => {
    const text = pending;
    pending = '';
    write(text);
  };
  return (line) => {
    if (pending === '') setImmediate(flush);
    pending += line + '\n';
  };
}

void main();
