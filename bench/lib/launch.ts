// Starting and stopping one bench server process, pinned to the server core.

import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer, type AddressInfo } from 'node:net';

export interface Launched {
  pid: number;
  port: number;
  /** Signal the process, wait for it to exit (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

export class Unavailable extends Error {}

/** `taskset -c <core> [prlimit --nofile=N:N] <command…>`: both exec, so the pid is the server's. */
export function pinned(core: number, nofile: number | undefined, command: string[]): string[] {
  const limit = nofile ? ['prlimit', `--nofile=${nofile}:${nofile}`] : [];
  return ['-c', String(core), ...limit, ...command];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function stopper(child: ChildProcess, signal: NodeJS.Signals): () => Promise<void> {
  return () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill(signal);
  });
}

/** A process that prints "READY <port>" or "UNAVAILABLE <reason>" on stdout. */
export function launchReporting(args: string[], env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<Launched> {
  const child = spawn('taskset', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => log(d.toString()));
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('server did not start within 15 s')); }, 15_000);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (code) => { clearTimeout(timer); reject(new Unavailable(buffered.trim().replace(/^UNAVAILABLE /, '') || `exited with ${code}`)); });
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const ready = /^READY (\d+)$/m.exec(buffered);
      if (ready) {
        clearTimeout(timer);
        child.removeAllListeners('close');
        resolve({ pid: child.pid!, port: Number(ready[1]), stop: stopper(child, 'SIGTERM') });
      }
    });
  });
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** A process that listens on `port` we chose; ready when a connection succeeds. */
export async function launchListening(args: string[], port: number, stopSignal: NodeJS.Signals, log: (line: string) => void): Promise<Launched> {
  const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (d: Buffer): void => { output += d.toString(); log(d.toString()); };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Unavailable(`exited with ${child.exitCode}: ${output.trim().split('\n').slice(-2).join(' | ')}`);
    if (await canConnect(port)) return { pid: child.pid!, port, stop: stopper(child, stopSignal) };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('server did not listen within 15 s');
}
