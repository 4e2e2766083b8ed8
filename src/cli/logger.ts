// The error log: one line per event, "[time] [pid] [LEVEL] message", like gunicorn.
// Lines below --log-level are dropped before they are formatted.

import { createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from '../types.js';
import { LOG_LEVELS, type LogLevel } from './options.js';

export interface LevelLogger extends Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  critical(message: string): void;
  /** Flush and close a file target. */
  close(): Promise<void>;
}

/** Opens FILE for appending, or '-' for the given standard stream. */
export function openLogTarget(file: string, standard: NodeJS.WritableStream): { stream: NodeJS.WritableStream; close(): Promise<void> } {
  if (file === '-') return { stream: standard, close: async () => {} };
  const stream: WriteStream = createWriteStream(file, { flags: 'a' });
  return { stream, close: () => new Promise((resolve) => stream.end(resolve)) };
}

export function createLogger(file: string, level: LogLevel, tag = `${process.pid}`): LevelLogger {
  const target = openLogTarget(file, process.stderr);
  const min = LOG_LEVELS.indexOf(level);
  const line = (lvl: LogLevel, message: string): void => {
    if (LOG_LEVELS.indexOf(lvl) < min) return;
    target.stream.write(`[${new Date().toISOString()}] [${tag}] [${lvl.toUpperCase()}] ${message}\n`);
  };
  return {
    debug: (m) => line('debug', m),
    info: (m) => line('info', m),
    warn: (m) => line('warning', m),
    error: (m) => line('error', m),
    critical: (m) => line('critical', m),
    close: () => target.close(),
  };
}
