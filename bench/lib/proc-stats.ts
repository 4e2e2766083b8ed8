// CPU time and memory of a server process and its children, from /proc (Linux).
// CPU is utime + stime; a process tree is summed so that nginx (master + worker) and
// gunicorn (arbiter + worker) are measured whole.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** pid and every live descendant. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${out[i]}/task`);
    } catch { /* gone */ }
    for (const tid of tasks) {
      for (const child of readOrEmpty(`/proc/${out[i]}/task/${tid}/children`).split(' ')) {
        if (child.trim() !== '') out.push(Number(child));
      }
    }
  }
  return out;
}

/** utime + stime of one process in microseconds (0 if it is gone). */
function cpuMicros(pid: number): number {
  const stat = readOrEmpty(`/proc/${pid}/stat`);
  const close = stat.lastIndexOf(')');
  if (close === -1) return 0;
  // Fields after "pid (comm) ": state is field 3, utime 14, stime 15 (proc(5)).
  const fields = stat.slice(close + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / clockTicks();
}

export function treeCpuMicros(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + cpuMicros(p), 0);
}

function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readOrEmpty(`/proc/${pid}/status`));
  return match ? Number(match[1]) : 0;
}

/** Peak resident set (VmHWM) summed over the tree, in KiB. */
export function treePeakRssKb(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + statusKb(p, 'VmHWM'), 0);
}

/** Current resident set (VmRSS) summed over the tree, in KiB. */
export function treeRssKb(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + statusKb(p, 'VmRSS'), 0);
}

/** The 1-minute load average, to record how busy the machine was. */
export function loadAverage(): number {
  return Number(readOrEmpty('/proc/loadavg').split(' ')[0]) || 0;
}

/** Busy time of one core since boot in microseconds, from /proc/stat (all states but
 * idle and iowait). */
export function coreBusyMicros(core: number): number {
  const line = readOrEmpty('/proc/stat').split('\n').find((l) => l.startsWith(`cpu${core} `));
  if (!line) return 0;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return ((total - idle) * 1e6) / clockTicks();
}
