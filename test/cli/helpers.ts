// Spawn the real CLI (dist/src/cli/main.js, built by `npx tsc -p tsconfig.json`) and
// drive it over real sockets. Readiness is the "Listening at:" log line, never a sleep.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = `${ROOT}dist/src/cli/main.js`;
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** Node binary that runs the CLI: TSGI_TEST_NODE=/path/to/node tests another version. */
export const NODE = process.env.TSGI_TEST_NODE ?? process.execPath;

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with npx tsc -p tsconfig.json`);

export interface Tsgi {
  proc: ChildProcess;
  /** URL of the first TCP bind, e.g. http://127.0.0.1:41234 */
  url: string;
  stderr(): string;
  stdout(): string;
  /** Resolves with the match once `pattern` appears in stderr (after `from` chars). */
  waitForLog(pattern: RegExp, from?: number, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Start `tsgi ...args`; resolves when every bind is listening (or rejects on exit). */
export function startTsgi(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; binds?: number } = {}): Promise<Tsgi> {
  const proc = spawn(NODE, [CLI, ...args], { cwd: options.cwd ?? FIXTURES, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  const waiters = new Set<() => void>();
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; for (const w of waiters) w(); });
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => {
    exitCode = code;
    for (const w of waiters) w();
    resolve(code);
  }));

  const waitForLog = (pattern: RegExp, from = 0, timeoutMs = 20_000): Promise<RegExpMatchArray> => new Promise((resolve, reject) => {
    const check = (): void => {
      const m = err.slice(from).match(pattern);
      if (m) { done(); resolve(m); } else if (exitCode !== undefined) { done(); reject(new Error(`tsgi exited (${exitCode}) before ${pattern}:\n${err}`)); }
    };
    const timer = setTimeout(() => { done(); reject(new Error(`timed out waiting for ${pattern}:\n${err}`)); }, timeoutMs);
    const done = (): void => { clearTimeout(timer); waiters.delete(check); };
    waiters.add(check);
    check();
  });
  const tsgi: Tsgi = {
    proc, url: '', exited, waitForLog,
    stderr: () => err,
    stdout: () => out,
    async stop(signal = 'SIGTERM') {
      if (exitCode === undefined) proc.kill(signal);
      return exited;
    },
  };
  return waitForLog(/Using engine/).then(() => {
    const m = err.match(/Listening at: (http:\/\/\S+)/);
    tsgi.url = m ? m[1]! : '';
    return tsgi;
  });
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  reusedSocket: boolean;
}

export function get(url: string, options: { agent?: Agent; headers?: Record<string, string>; socketPath?: string; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: options.agent, headers: options.headers, socketPath: options.socketPath }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      // 'aborted'/'error' on a truncated body: the request failed.
      res.on('error', reject);
      res.on('end', () => {
        if (!res.complete) return reject(Object.assign(new Error('incomplete response'), { code: 'INCOMPLETE' }));
        resolve({ status: res.statusCode!, headers: res.headers, body, reusedSocket: req.reusedSocket });
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
    if (options.timeoutMs) req.setTimeout(options.timeoutMs, () => req.destroy(Object.assign(new Error('no response in time'), { code: 'TIMEOUT' })));
    req.end();
  });
}

export interface LoadResult {
  ok: number;
  /** Responses by worker pid. */
  byPid: Map<number, number>;
  failures: { code: string; message: string; reusedSocket: boolean; at: number }[];
}

/** `concurrency` clients loop on GET `path` until `stop()` resolves. With `refusedEnds`,
 * a client whose connection is refused (the server stopped accepting) stops there:
 * that request was never accepted, so it is not a failure. */
export async function loadRun(url: string, path: string, concurrency: number, until: Promise<unknown>, options: { keepAlive?: boolean; refusedEnds?: boolean; timeoutMs?: number } = {}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: options.keepAlive ?? true, maxSockets: concurrency });
  const result: LoadResult = { ok: 0, byPid: new Map(), failures: [] };
  let running = true;
  void until.then(() => { running = false; });
  const client = async (): Promise<void> => {
    while (running) {
      try {
        const reply = await get(url + path, { agent, timeoutMs: options.timeoutMs ?? 10_000 });
        if (reply.status !== 200) {
          result.failures.push({ code: `HTTP ${reply.status}`, message: reply.body, reusedSocket: reply.reusedSocket, at: Date.now() });
          continue;
        }
        const pid = (JSON.parse(reply.body) as { pid: number }).pid;
        result.byPid.set(pid, (result.byPid.get(pid) ?? 0) + 1);
        result.ok++;
      } catch (error) {
        const e = error as NodeJS.ErrnoException & { reusedSocket?: boolean };
        if (options.refusedEnds && e.code === 'ECONNREFUSED') return;
        result.failures.push({ code: e.code ?? 'ERROR', message: e.message, reusedSocket: e.reusedSocket ?? false, at: Date.now() });
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  agent.destroy();
  return result;
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Pids of the worker processes (children) of `pid`, from /proc. */
export async function childPids(pid: number): Promise<number[]> {
  const { readFileSync } = await import('node:fs');
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
