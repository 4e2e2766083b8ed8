// Before any worker starts: which engine every worker runs, and how they share the
// listening sockets.
//
//   engine node        node:cluster round-robin: the supervisor owns each socket and
//                      hands accepted connections to the workers (Node 20's node:http has
//                      no reusePort). A worker that stops is simply given no more.
//   engines uws/native SO_REUSEPORT: each worker binds its own socket on the same port
//                      and the kernel spreads new connections. A Unix socket cannot be
//                      shared that way, so several workers on unix:PATH need engine node.

import { existsSync, lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { AUTO_ORDER, loadEngine } from '../engines/index.js';
import { InvalidOptionError, ListenError, TlsConfigError } from '../errors.js';
import { serveFast } from '../serve.js';
import type { TlsOptions } from '../tls-options.js';
import type { EngineName } from '../types.js';
import { UsageError, type CliConfig } from './options.js';

export interface Plan {
  engine: EngineName;
  /** Workers bind their own sockets (SO_REUSEPORT) rather than through cluster. */
  reusePort: boolean;
  why: string;
}

/** `tls`: the TLS options every worker will pass to serveFast (--certfile …), already
 * checked; the engine must serve them, as asked. */
export async function planEngine(config: CliConfig, tls?: TlsOptions): Promise<Plan> {
  const unixShared = config.workers > 1 && config.binds.some((b) => b.kind === 'unix');
  if (config.engine !== 'auto') {
    try {
      await loadEngine(config.engine);
    } catch (error) {
      throw new UsageError(`--engine ${config.engine}: ${(error as Error).message}`);
    }
    const refused = tls ? await tlsRefusal(config.engine, tls) : '';
    if (refused) throw new UsageError(`--engine ${config.engine}: ${refused}`);
    if (unixShared && config.engine !== 'node') {
      throw new UsageError(`--bind unix:PATH with --workers ${config.workers} needs --engine node: engine '${config.engine}' shares a port with SO_REUSEPORT, which Unix sockets do not have (or use --workers 1)`);
    }
    return { engine: config.engine, reusePort: config.engine !== 'node', why: 'chosen with --engine' };
  }
  if (unixShared) return { engine: 'node', reusePort: false, why: 'several workers share a Unix socket: only node:cluster can' };
  if (tls) return planTlsEngine(tls);
  let engine: EngineName;
  try {
    engine = (await loadEngine('auto')).name;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return { engine, reusePort: engine !== 'node', why: 'fastest engine that loads here' };
}

/** SO_REUSEPORT engines and port 0: uSockets sets SO_REUSEPORT only on a non-zero port,
 * so the supervisor picks a free port once and every worker binds that one. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A socket file left by a server that died: remove it, or say who still uses it. */
export async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new UsageError(`--bind unix:${path}: the path exists and is not a socket`);
  const inUse = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => { probe.destroy(); resolve(true); });
    probe.once('error', () => resolve(false));
  });
  if (inUse) throw new UsageError(`--bind unix:${path}: another server is listening there`);
  unlinkSync(path);
}

/** --engine auto with --certfile: the first engine of AUTO_ORDER that loads and serves
 * these TLS options (uws, for one, refuses some rather than serve them weaker). */
async function planTlsEngine(tls: TlsOptions): Promise<Plan> {
  const reasons: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      await loadEngine(name);
    } catch (error) {
      reasons.push((error as Error).message);
      continue;
    }
    const refused = await tlsRefusal(name, tls);
    if (!refused) return { engine: name, reusePort: name !== 'node', why: 'fastest engine that loads here and serves these TLS options' };
    reasons.push(refused);
  }
  throw new UsageError(`--certfile: no engine here serves these TLS options (${reasons.join('; ')})`);
}

/** '' when `engine` serves `tls`, else its reason. serveFast is the one judge: a
 * throwaway listener on a loopback port, closed at once, so an engine that refuses an
 * option (or a cipher list its TLS library does not know) is known before any worker
 * starts. Where no loopback port can be had, the workers find out instead. */
async function tlsRefusal(engine: EngineName, tls: TlsOptions): Promise<string> {
  try {
    const server = await serveFast(() => [], { engine, host: '127.0.0.1', port: 0, tls });
    await server.close();
    return '';
  } catch (error) {
    if (error instanceof InvalidOptionError || error instanceof TlsConfigError) return error.message.replace(/^serveFast: /, '');
    if (error instanceof ListenError) return '';
    throw error;
  }
}
