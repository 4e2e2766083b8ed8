// The stress server as a child process: start it, ask it for live memory, stop it
// (bounded), and read its RSS and descriptors from /proc. Shared by run.ts and
// attack-soak.ts (a module of its own: run.ts is the entry point, and importing it back
// from a module it loads would wait on its own top-level await).

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EngineName } from '../../src/index.js';

export const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
export const fdsOf = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** The child's V8 semi-space size in MB, as the CLI gives its workers (`--young-space`,
 * src/cli/v8-flags.ts); 0 = Node's default, which grows the young generation in steps of
 * 8-20 MiB of RSS at unpredictable points of a run. */
let youngSpace = 16;
export function setYoungSpace(mb: number): void { youngSpace = mb; }

const MEM_TIMEOUT_MS = 10_000;

export interface LiveMemory { rss: number; heapUsed: number; external: number; arrayBuffers: number }
export interface Child {
  pid: number; port: number;
  /** Full GC in the child, then its memory figures (and what its app counted). */
  mem(): Promise<{ mem: LiveMemory; errors: number; retained: Record<string, number> }>;
  stop(): Promise<{ ms: number; killed: boolean }>;
}

/** `command args` prefixed so that it runs on CPU `cpu` (taskset execs: same pid), and
 * at lower priority with `nice`. Plain `command args` when taskset is absent. */
export function pinned(command: string, args: string[], cpu?: number, nice = 0): [string, string[]] {
  if (cpu === undefined || !existsSync('/usr/bin/taskset')) return [command, args];
  const inner: [string, string[]] = ['taskset', ['-c', String(cpu), command, ...args]];
  return nice ? ['nice', ['-n', String(nice), inner[0], ...inner[1]]] : inner;
}

export async function startChild(engine: EngineName, options: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}, cpu?: number): Promise<Child> {
  const young = youngSpace > 0 ? [`--min-semi-space-size=${youngSpace}`, `--max-semi-space-size=${youngSpace}`] : [];
  const [command, args] = pinned(process.execPath, ['--expose-gc', ...young, fileURLToPath(new URL('./server.js', import.meta.url)), engine, JSON.stringify(options)], cpu);
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  const line = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`stress server exited (${code})`)));
  });
  lines.on('line', (l) => waiting.shift()?.(l));
  // Never leave a server behind when this process ends (a killed run left busy servers).
  const reap = (): void => { child.kill('SIGKILL'); };
  process.once('exit', reap);
  child.once('exit', () => process.removeListener('exit', reap));
  const { port } = JSON.parse(line) as { port: number };
  return {
    pid: child.pid!, port,
    // Bounded: a server whose event loop is stuck (a microtask loop, a busy native loop)
    // never answers; that is reported rather than hanging the soak.
    mem: () => new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`server event loop blocked: no answer to "mem" in ${MEM_TIMEOUT_MS} ms`)), MEM_TIMEOUT_MS);
      waiting.push((l) => { clearTimeout(t); resolve(JSON.parse(l)); });
      child.stdin!.write('mem\n');
    }),
    // Graceful (SIGTERM: server.close()), bounded: SIGKILL after 15 s. Resolves with the
    // milliseconds it took and whether it had to be killed.
    stop: () => new Promise((resolve) => {
      const t0 = performance.now();
      let killed = false;
      const t = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, 15_000);
      child.once('exit', () => { clearTimeout(t); resolve({ ms: performance.now() - t0, killed }); });
      child.kill('SIGTERM');
    }),
  };
}

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) { num += (p.x - mx) * (p.y - my); den += (p.x - mx) ** 2; }
  return den === 0 ? 0 : num / den;
}

