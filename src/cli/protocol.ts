// Messages between the supervisor and its worker processes (node:cluster IPC), and the
// description of a worker it passes through the environment.

import type { EngineName } from '../types.js';
import type { Bind, CliConfig } from './options.js';

/** Environment variable holding a worker's WorkerSpec as JSON. */
export const WORKER_SPEC_ENV = 'TSGI_WORKER_SPEC';

export interface WorkerSpec {
  config: CliConfig;
  /** The engine the supervisor chose (never 'auto': every worker runs the same one). */
  engine: EngineName;
  /** Addresses to listen on; ports already resolved where the engine needs that. */
  binds: Bind[];
  multiprocess: boolean;
  /** Working directory the module path is relative to. */
  cwd: string;
  /** Milliseconds between heartbeats. */
  heartbeatMs: number;
}

export type WorkerMessage =
  | { type: 'ready'; ports: number[]; engine: EngineName }
  | { type: 'heartbeat'; rss: number; requests: number }
  /** The worker served --max-requests: the supervisor replaces it gracefully. */
  | { type: 'retire'; reason: string }
  | { type: 'boot-error'; message: string }
  /** Stopping, listeners closed and connections done: may it exit? (worker.ts clusterQuiet) */
  | { type: 'drained' };

/** 'exit' answers 'drained': every connection handed over before it has arrived. */
export type SupervisorMessage = { type: 'stop' } | { type: 'exit' };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
