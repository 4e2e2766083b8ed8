// Request limits and timeouts: their defaults and their checks, in one place for
// serveFast (serve.ts) and the CLI (cli/options.ts), so a default is never written twice.

import { InvalidOptionError } from './errors.js';

/** Defaults of every limit (bytes, counts, seconds). */
export const LIMIT_DEFAULTS = {
  /** A declared or received body larger than this gets 413 (RFC 9110 §15.5.14). */
  maxBodySize: 1024 * 1024 * 1024,
  /** Bodies larger than this spool to a temporary file. */
  bodyMemoryLimit: 1024 * 1024,
  /** Request line bytes (414 beyond), as gunicorn's limit_request_line. */
  maxRequestLine: 8190,
  /** Header fields (431 beyond), as gunicorn's limit_request_fields. */
  maxHeaderCount: 100,
  /** Header block bytes (431 beyond). */
  maxHeaderSize: 16 * 1024,
  /** Seconds an idle keep-alive connection stays open. */
  keepAliveTimeout: 5,
  /** Seconds a client has to send its request head. */
  headersTimeout: 30,
  /** Longest pause between two reads of a request body, seconds; 0 = never. */
  bodyTimeout: 30,
  /** Seconds queued response bytes may wait for the client to take any; 0 = never. */
  sendTimeout: 30,
} as const;

export type LimitName = keyof typeof LIMIT_DEFAULTS;
export type Limits = { [K in LimitName]: number };

/** Smallest accepted value: a zero line or header limit would refuse every request; a
 * zero body size, memory limit or timeout is meaningful (none allowed, always spool,
 * never time out; keepAliveTimeout 0 closes after each response). */
const MINIMUM: Limits = {
  maxBodySize: 0, bodyMemoryLimit: 0, maxRequestLine: 1, maxHeaderCount: 1, maxHeaderSize: 1,
  keepAliveTimeout: 0, headersTimeout: 0, bodyTimeout: 0, sendTimeout: 0,
};

/** Every limit from `options` (undefined → its default), checked; throws
 * InvalidOptionError naming the first bad one. `where` prefixes the message. */
export function resolveLimits(options: { readonly [K in LimitName]?: unknown }, where: string): Limits {
  const out = {} as Limits;
  for (const key of Object.keys(LIMIT_DEFAULTS) as LimitName[]) {
    const value = options[key] ?? LIMIT_DEFAULTS[key];
    const min = MINIMUM[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
      throw new InvalidOptionError(`${where}: option ${key} must be a number >= ${min}, got ${JSON.stringify(value)}`);
    }
    out[key] = value;
  }
  return out;
}
