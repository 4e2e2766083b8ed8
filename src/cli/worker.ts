// One worker process: loads the app, serves it on every bind with its own engine, sends
// heartbeats from its event loop (a blocked loop sends none: the supervisor then kills
// it), and stops gracefully when told. Started by the supervisor through node:cluster.

import cluster from 'node:cluster';
import { serveFast } from '../serve.js';
import type { Server } from '../types.js';
import { batchLines } from '../middleware/access-log.js';
import { composeApp } from './compose-app.js';
import { AppLoadError, loadApp } from './load-app.js';
import { createLogger, openLogTarget } from './logger.js';
import { deferIdleConnectionClose } from './node-drain.js';
import { readTlsOptions } from './tls.js';
import { KEYFILE_PASSWORD_ENV } from './options.js';
import { WORKER_SPEC_ENV, type SupervisorMessage, type WorkerMessage, type WorkerSpec } from './protocol.js';

/** Exit codes, as gunicorn: 3 the worker could not boot, 4 the app could not load. */
export const EXIT_WORKER_BOOT_ERROR = 3;
export const EXIT_APP_LOAD_ERROR = 4;

/** After an engine without connection tracking (uws) reports closed, keep the process
 * up this long so connections accepted just before the stop still get their answer
 * (with Connection: close). */
const LINGER_MS = 300;
/** Longest wait for the supervisor's 'exit' after 'drained' (it answers at once). */
const EXIT_WAIT_MS = 2000;

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
  let exitAllowed!: () => void;
  const mayExit = new Promise<void>((r) => { exitAllowed = r; });
  process.on('message', (message: unknown) => {
    const type = (message as SupervisorMessage | null)?.type;
    if (type === 'stop') requestStop('asked by the supervisor');
    else if (type === 'exit') exitAllowed();
  });
  process.on('SIGTERM', () => requestStop('SIGTERM'));
  // The supervisor is gone: do not outlive it.
  process.on('disconnect', () => requestStop('the supervisor went away'));

  // The TLS files are read at each worker's start: a worker started after SIGHUP serves
  // them as they are now (the supervisor checked them just before). Read before the app
  // loads, and the key's passphrase then dropped from the environment, so neither the
  // app nor a process it spawns inherits it.
  let tls;
  try {
    tls = config.tls ? readTlsOptions(config.tls, process.env) : undefined;
  } catch (error) {
    const message = `cannot read the TLS files: ${(error as Error).message}`;
    log.critical(message);
    send({ type: 'boot-error', message });
    await log.close();
    process.exit(EXIT_WORKER_BOOT_ERROR);
  }
  delete process.env[KEYFILE_PASSWORD_ENV];

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
        sendTimeout: config.sendTimeout,
        maxBodySize: config.maxBodySize,
        maxRequestLine: config.limitRequestLine,
        maxHeaderCount: config.limitRequestFields,
        maxHeaderSize: config.limitRequestFieldSize,
        tls,
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
    else await clusterQuiet(mayExit, deadline);
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

/** node:cluster round robin: the supervisor may have handed this worker a connection
 * just before it learnt the listener closed. If the worker exited with that hand-over
 * still in the pipe, Node's primary would keep the socket forever, unanswered. So the
 * worker says it is drained and waits for the supervisor's 'exit': IPC is ordered, so
 * every hand-over sent before arrives first, and is refused (the listener is closed),
 * which makes the primary give it to another worker. */
async function clusterQuiet(mayExit: Promise<void>, deadline: number): Promise<void> {
  if (!process.connected) return;
  send({ type: 'drained' });
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((r) => { timer = setTimeout(r, Math.max(0, Math.min(EXIT_WAIT_MS, deadline - Date.now()))); });
  const gone = new Promise<void>((r) => process.once('disconnect', r));
  await Promise.race([mayExit, bound, gone]);
  clearTimeout(timer);
}

void main();
