// What the report says about the machine it ran on.

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, release } from 'node:os';
import { uwsVersion } from '../apps/uws-binary.js';
import { WRK } from './wrk.js';
import { loadAverage } from './proc-stats.js';
import type { MachineInfo } from './results.js';

function cpuModel(): string {
  const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return match ? match[1]!.trim() : 'unknown CPU';
}

function wrkVersion(): string {
  const run = spawnSync(WRK, ['-v'], { encoding: 'utf8' });
  return (run.stdout || run.stderr || '').split('\n')[0]!.replace(/ \[.*$/, '').trim() || 'wrk';
}

function nproc(): number {
  try {
    return Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    return availableParallelism();
  }
}

export function describeMachine(serverCore: number, clientCore: number): MachineInfo {
  return {
    date: new Date().toISOString(),
    nproc: nproc(),
    cpuModel: cpuModel(),
    kernel: release(),
    node: process.versions.node,
    uws: uwsVersion(),
    wrk: wrkVersion(),
    loadBefore: loadAverage(),
    loadAfter: 0,
    serverCore,
    clientCore,
  };
}

/** The highest open-files limit a child can be given: 65536 when prlimit may raise
 * it (root, or a high enough hard limit), else the current hard limit. */
export function openFilesLimit(): number | undefined {
  for (const n of [65536, 32768, 20000]) {
    if (spawnSync('prlimit', [`--nofile=${n}:${n}`, 'true']).status === 0) return n;
  }
  return undefined;
}
