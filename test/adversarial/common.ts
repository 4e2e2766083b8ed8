// Shared tools for the adversarial tests (issue 13): a server per test that is always
// closed (with a bound, so a hanging close fails one test instead of the suite), raw
// clients that are always destroyed, a pacer for slow bytes, and a watch on the test
// process for uncaught exceptions and unhandled rejections (servers run in-process).
//
// Time is the subject of several of these tests, so they pace bytes on purpose; they
// never sleep to wait for readiness (they await socket events instead).

import { connect, type Socket } from 'node:net';
import { expect } from 'vitest';
import { serveFast } from '../../src/index.js';
import type { App, EngineName, Server, ServeOptions } from '../../src/types.js';
import { engines as allEngines, UWS_LIMITS } from '../helpers/server.js';
import { RawConnection } from '../helpers/raw-http.js';

export { UWS_LIMITS };
export const engines: EngineName[] = allEngines;

/** Small timeouts, so a stall is cut within a couple of seconds. */
export const FAST: ServeOptions = { headersTimeout: 1, bodyTimeout: 1, keepAliveTimeout: 1, sendTimeout: 1 };

/** uWS's idle timeout is fixed at 10 s and resets on its own terms: tsgi cannot apply
 * headersTimeout / bodyTimeout / keepAliveTimeout there (docs/engines.md, "What uWebSockets.js cannot do"). */
export const UWS_FIXED_IDLE = `${UWS_LIMITS.headerTimeout}; headersTimeout, bodyTimeout and keepAliveTimeout are not honoured`;

// --- crashes in the test process -------------------------------------------------------

export const crashes: string[] = [];
process.on('uncaughtException', (e) => { crashes.push(`uncaughtException: ${(e as Error)?.stack ?? String(e)}`); });
process.on('unhandledRejection', (e) => { crashes.push(`unhandledRejection: ${(e as Error)?.stack ?? String(e)}`); });

/** Fails when anything escaped to the process since `from` (crashes.length before). */
export function expectNoCrash(from: number): void {
  const escaped = crashes.slice(from);
  expect(escaped.length, `${escaped.length} escaped to uncaughtException / unhandledRejection, e.g.\n${escaped.slice(0, 3).join('\n')}`).toBe(0);
}

// --- servers and clients --------------------------------------------------------------

export interface Lab {
  server: Server;
  port: number;
  /** Lines the server logged (logger.error / warn / info). */
  log: string[];
  /** A tracked raw connection (destroyed when the test ends). */
  raw(): RawConnection;
  /** A tracked plain socket, resolved once connected (from `localAddress`, e.g. 127.6.6.6). */
  socket(localAddress?: string): Promise<Socket>;
  /** Close the server now; resolves with the milliseconds it took (rejects after `capMs`). */
  close(capMs?: number): Promise<number>;
}

const CLOSE_CAP_MS = 15_000;

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms); }),
  ]);
}

/** Run `body` against `app` served on `engine`; clients and the server are always cleaned
 * up, and the test fails if anything reached uncaughtException / unhandledRejection. */
export async function withServer(engine: EngineName, app: App, options: ServeOptions, body: (lab: Lab) => Promise<void>): Promise<void> {
  const log: string[] = [];
  const logger = { error: (m: string) => { log.push(m); }, warn: (m: string) => { log.push(m); }, info: () => {} };
  const server = await serveFast(app, { host: '127.0.0.1', port: 0, engine, logger, ...options });
  const sockets = new Set<Socket>();
  let closing: Promise<void> | undefined;
  let closeTimedOut = false;
  const crashMark = crashes.length;
  const lab: Lab = {
    server, port: server.port, log,
    raw() {
      const c = new RawConnection(server.port);
      sockets.add(c.socket);
      return c;
    },
    socket(localAddress?: string) {
      const s = connect({ port: server.port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
      sockets.add(s);
      s.on('error', () => {});
      return new Promise((resolve, reject) => { s.once('connect', () => resolve(s)); s.once('error', reject); });
    },
    async close(capMs = CLOSE_CAP_MS) {
      const t0 = performance.now();
      closing ??= server.close();
      await bounded(closing, capMs, 'server.close()').catch((e: Error) => { closeTimedOut = true; throw e; });
      return performance.now() - t0;
    },
  };
  try {
    await body(lab);
  } finally {
    for (const s of sockets) s.destroy();
    closing ??= server.close();
    // A close the test already timed out is not waited for again (it is reported there).
    if (!closeTimedOut) await bounded(closing, CLOSE_CAP_MS, 'server.close() after the test').catch((e: Error) => { log.push(e.message); });
  }
  expectNoCrash(crashMark);
}

// --- pacing ---------------------------------------------------------------------------

export interface Dribbled {
  /** ms from the first byte until the server ended the connection (Infinity: it did not). */
  cutAfterMs: number;
  /** Everything the server sent. */
  data: Buffer;
  /** How many paced writes went out. */
  writes: number;
}

/** Connect, write `first`, then `next(i)` every `everyMs` until the server ends the
 * connection (FIN or reset) or `maxMs` passes. */
export async function dribble(lab: Lab, first: string | Buffer, next: (i: number) => string | Buffer, everyMs: number, maxMs: number): Promise<Dribbled> {
  const s = await lab.socket();
  s.setNoDelay(true);
  let data = Buffer.alloc(0);
  let ended = false;
  const t0 = performance.now();
  let cutAt = Infinity;
  const done = new Promise<void>((resolve) => {
    const end = () => { if (!ended) { ended = true; cutAt = performance.now() - t0; } resolve(); };
    s.on('data', (d: Buffer) => { data = Buffer.concat([data, d]); });
    s.once('end', end);
    s.once('close', end);
  });
  s.write(first);
  let writes = 0;
  const timer = setInterval(() => {
    if (ended || s.destroyed) return;
    s.write(next(writes++));
  }, everyMs);
  const limit = setTimeout(() => { s.destroy(); }, maxMs);
  await done;
  clearInterval(timer);
  clearTimeout(limit);
  s.destroy();
  return { cutAfterMs: cutAt, data, writes };
}

/** Resolves when `check` holds; polls every few ms. */
export async function eventually(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves once `check` has returned the same value for `quietMs` (a counter that has
 * stopped moving), or after `maxMs`; returns the last value. */
export async function settles(check: () => number, quietMs: number, maxMs: number): Promise<number> {
  const end = Date.now() + maxMs;
  let last = check();
  let since = Date.now();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    const now = check();
    if (now !== last) { last = now; since = Date.now(); } else if (Date.now() - since >= quietMs) break;
  }
  return last;
}

/** A healthy GET on a fresh connection: 200 and body `want`. */
export async function healthy(lab: Lab, want = 'healthy', path = '/healthy'): Promise<void> {
  const c = lab.raw();
  await c.write(`GET ${path} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`);
  const [r] = await c.responses(1);
  expect(r?.status, `healthy request: ${c.data.toString('latin1').slice(0, 200)}`).toBe(200);
  expect(r?.body.toString()).toBe(want);
  c.close();
}

export const TEXT: [string, string][] = [['Content-Type', 'text/plain']];
export const MiB = 1024 * 1024;
