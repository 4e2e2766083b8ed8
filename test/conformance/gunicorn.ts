// Starts Debian's gunicorn (/usr/bin/gunicorn) with echo_app.py on a free port, and
// compares what it decides with what tsgi decides for the same bytes.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConformanceCase } from './corpus.js';
import { ECHOED_KEYS, type EchoedEnviron } from './echo-app.js';
import type { Observed } from './replay.js';

export const GUNICORN = '/usr/bin/gunicorn';
export const gunicornAbsent = !existsSync(GUNICORN);

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface Gunicorn { port: number; stop(): Promise<void> }

/** gthread worker: it keeps connections alive, as tsgi does, so pipelined cases compare. */
export async function startGunicorn(): Promise<Gunicorn> {
  const port = await freePort();
  const child: ChildProcess = spawn(GUNICORN, [
    '--bind', `127.0.0.1:${port}`, '--workers', '1', '--worker-class', 'gthread', '--threads', '16',
    '--chdir', dirname(fileURLToPath(import.meta.url)), '--log-level', 'info', '--access-logfile', '-',
    'echo_app:app',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (/Booting worker/.test(log)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`gunicorn exited (${code}): ${log}`)));
  });
  return {
    port,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** Keys never compared, each for a reason that holds for every case. */
export const IGNORED_KEYS: Record<string, string> = {
  SERVER_NAME: 'gunicorn 20.1 takes SERVER_NAME from the listening socket; tsgi from Host (else the socket), which PEP 3333 URL reconstruction prefers',
  SERVER_PORT: 'both take SERVER_PORT from the listening socket (RFC 3875 §4.1.15), and the two servers listen on different ports',
};

/** The CGI values the differential compares: the echoed keys, every HTTP_*, the body. */
function comparable(env: EchoedEnviron, engine: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k in IGNORED_KEYS) continue;
    // uws cannot report the HTTP version (docs/engines.md): SERVER_PROTOCOL is always HTTP/1.1.
    if (k === 'SERVER_PROTOCOL' && engine === 'uws') continue;
    if ((ECHOED_KEYS as readonly string[]).includes(k) || k.startsWith('HTTP_') || k === 'body') out[k] = v;
  }
  return out;
}

const decision = (status: number | undefined): string => (status === 200 ? 'accept' : status === undefined ? 'no answer' : `reject ${status}`);

/** Where gunicorn and tsgi disagree on a case: the accept/reject decision of each
 * response, then the CGI values of each accepted request. Empty when they agree. */
export function differences(c: ConformanceCase, gunicorn: Observed, tsgi: Observed, engine: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < c.statuses.length; i++) {
    const g = gunicorn.statuses[i];
    const t = tsgi.statuses[i];
    if ((g === 200) !== (t === 200)) { out.push(`request ${i + 1}: gunicorn ${decision(g)}, tsgi ${decision(t)}`); continue; }
    const ge = gunicorn.environs[i];
    const te = tsgi.environs[i];
    if (!ge || !te) continue;
    const a = comparable(ge, engine);
    const b = comparable(te, engine);
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (a[key] !== b[key]) out.push(`request ${i + 1} ${key}: gunicorn ${JSON.stringify(a[key] ?? '<absent>')}, tsgi ${JSON.stringify(b[key] ?? '<absent>')}`);
    }
  }
  return out;
}

/** True when both servers gave answers the case's RFC reading allows (e.g. 400 or 200
 * for obs-fold): a difference of choice, not of correctness. */
export function bothAllowed(c: ConformanceCase, gunicorn: Observed, tsgi: Observed): boolean {
  return c.statuses.every((allowed, i) => {
    const g = gunicorn.statuses[i];
    const t = tsgi.statuses[i];
    return g !== undefined && t !== undefined && allowed.includes(g) && allowed.includes(t) && g !== t;
  });
}
