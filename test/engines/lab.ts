// Shared tools for the engine attack tests (issue 13) on `node` and `uws`: an engine
// listening with a handler of the test's own (so a test can throw from exactly the
// callback it means), serveFast servers, raw sockets that are always destroyed, and a
// watch for anything that reaches uncaughtException / unhandledRejection.

import { connect, type Socket } from 'node:net';
import { afterEach, expect } from 'vitest';
import { loadEngine } from '../../src/engines/index.js';
import type { EngineOptions, EngineServer, RequestHandler } from '../../src/contract.js';
import { serveFast } from '../../src/index.js';
import type { App, EngineName, Server, ServeOptions } from '../../src/types.js';
import { engines as available } from '../helpers/server.js';

/** The engines these tests are about, where they load. */
export const engines = available.filter((e): e is 'node' | 'uws' => e === 'node' || e === 'uws');

export const TEXT: [string, string][] = [['Content-Type', 'text/plain']];
export const MiB = 1024 * 1024;

export const crashes: string[] = [];
process.on('uncaughtException', (e) => { crashes.push(`uncaughtException: ${(e as Error)?.stack ?? String(e)}`); });
process.on('unhandledRejection', (e) => { crashes.push(`unhandledRejection: ${(e as Error)?.stack ?? String(e)}`); });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

export interface Listening {
  port: number;
  /** Lines given to options.logger. */
  log: string[];
  server: EngineServer;
}

/** Listen with engine `name` and a raw RequestHandler (no gateway). */
export async function listenEngine(name: EngineName, handler: RequestHandler, overrides: Partial<EngineOptions> = {}): Promise<Listening> {
  const engine = await loadEngine(name);
  const log: string[] = [];
  const options: EngineOptions = {
    host: '127.0.0.1', port: 0, reusePort: false, maxRequestLine: 8190, maxHeaderCount: 100, maxHeaderSize: 16 * 1024,
    keepAliveTimeout: 5, headersTimeout: 30, bodyTimeout: 30, sendTimeout: 30,
    logger: { error: (m: string) => { log.push(m); } },
    ...overrides,
  };
  const server = await engine.listen(options, handler);
  cleanups.push(() => bounded(server.close(), 15_000, 'engine close()'));
  return { port: server.port, log, server };
}

/** serveFast on `engine`, closed after the test; `log` collects the logger's lines. */
export async function serve(engine: EngineName, app: App, options: ServeOptions = {}): Promise<{ server: Server; port: number; log: string[] }> {
  const log: string[] = [];
  const logger = { error: (m: string) => { log.push(m); }, warn: (m: string) => { log.push(m); }, info: () => {} };
  const server = await serveFast(app, { host: '127.0.0.1', port: 0, engine, logger, ...options });
  let closing: Promise<void> | undefined;
  const close = server.close.bind(server);
  server.close = () => (closing ??= close());
  cleanups.push(() => bounded(server.close(), 15_000, 'server.close()'));
  return { server, port: server.port, log };
}

export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms); }),
  ]);
}

/** A connected socket that records what arrives and how the connection ended. */
export interface Client {
  socket: Socket;
  data(): Buffer;
  text(): string;
  /** Resolves when the server ended or reset the connection. */
  ended: Promise<void>;
  isEnded(): boolean;
  /** 'end' (FIN), 'reset' (ECONNRESET / EPIPE) or '' while open. */
  how(): string;
}

export async function client(port: number, { read = true } = {}): Promise<Client> {
  const socket = connect(port, '127.0.0.1');
  cleanups.push(() => { socket.destroy(); });
  let data = Buffer.alloc(0);
  let how = '';
  let done = false;
  const ended = new Promise<void>((resolve) => {
    const finish = (kind: string): void => { if (!how) how = kind; done = true; resolve(); };
    socket.on('end', () => finish('end'));
    socket.on('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'reset' : e.code ?? 'error'));
    socket.on('close', () => finish('close'));
  });
  if (read) socket.on('data', (d: Buffer) => { data = Buffer.concat([data, d]); });
  else socket.pause();
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  return { socket, data: () => data, text: () => data.toString('latin1'), ended, isEnded: () => done, how: () => how };
}

/** Resolves when `check` holds; polls every few ms. */
export async function eventually(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Nothing escaped to the process since `mark` (crashes.length before). */
export function expectNoCrash(mark: number): void {
  expect(crashes.slice(mark), 'nothing reaches uncaughtException / unhandledRejection').toEqual([]);
}

/** A fresh connection gets 200 for a plain GET: the server still serves. */
export async function servesNext(port: number, want?: string): Promise<void> {
  const c = await client(port);
  c.socket.write('GET /next HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  await bounded(c.ended, 5000, 'the next request');
  expect(c.text()).toMatch(/^HTTP\/1\.1 200 /);
  if (want !== undefined) expect(c.text().endsWith(want)).toBe(true);
}
