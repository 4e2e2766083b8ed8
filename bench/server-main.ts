// One bench server in its own process: `node dist/bench/server-main.js <server> <app>`.
// Prints "READY <port>" when listening, or "UNAVAILABLE <reason>" and exits 3 when the
// server cannot run here (e.g. the native engine is not built). The runner measures
// this process alone, so its CPU time and peak RSS belong to one row.

import { readFileSync } from 'node:fs';
import { serveFast } from '../src/index.js';
import type { EngineName } from '../src/types.js';
import { APP_KINDS, type AppKind } from './apps/app-kind.js';
import { serveNodeRaw } from './apps/node-raw.js';
import { tsgiApp } from './apps/tsgi-apps.js';
import { serveUwsRaw } from './apps/uws-raw.js';
import { HONO_SERVERS, serveHono, type HonoServer } from './hono/serve.js';
import { serveTfb } from './tfb/serve.js';
import { PORT_ENV, TLS_CERT_ENV, TLS_KEY_ENV } from './scenario-data.js';

/** Long enough for the idle scenario; its client refreshes every connection well
 * within it (and within uWebSockets' fixed 10 s). */
export const KEEP_ALIVE_SECONDS = 60;

async function start(server: string, kind: AppKind): Promise<number> {
  const certFile = process.env[TLS_CERT_ENV];
  const keyFile = process.env[TLS_KEY_ENV];
  const tls = certFile && keyFile ? { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') } : undefined;
  if (kind === 'tfb') return serveTfb(server, KEEP_ALIVE_SECONDS);
  if (server === 'uws-raw') return serveUwsRaw(kind, certFile && keyFile ? { certFile, keyFile } : undefined);
  if (server === 'node-raw') return serveNodeRaw(kind, KEEP_ALIVE_SECONDS, tls);
  if ((HONO_SERVERS as readonly string[]).includes(server)) return serveHono(server as HonoServer, KEEP_ALIVE_SECONDS);
  if (server.startsWith('tsgi-')) {
    const engine = server.slice(5) as EngineName;
    const port = Number(process.env[PORT_ENV] ?? 0);
    const running = await serveFast(tsgiApp(kind), { host: '127.0.0.1', port, engine, keepAliveTimeout: KEEP_ALIVE_SECONDS, tls });
    if (running.engine !== engine) throw new Error(`asked for engine ${engine}, got ${running.engine}`);
    return running.port;
  }
  throw new Error(`unknown server ${JSON.stringify(server)}`);
}

const [server = '', kind = ''] = process.argv.slice(2);
if (!(APP_KINDS as readonly string[]).includes(kind)) {
  process.stdout.write(`UNAVAILABLE unknown app ${JSON.stringify(kind)}\n`);
  process.exit(2);
}
// A clean exit, so that `node --cpu-prof` writes its profile.
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
try {
  const port = await start(server, kind as AppKind);
  process.stdout.write(`READY ${port}\n`);
} catch (error) {
  process.stdout.write(`UNAVAILABLE ${(error as Error).message.split('\n')[0]}\n`);
  process.exit(3);
}
