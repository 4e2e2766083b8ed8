// serveFast(app, options): start a PEP 3333 server on the chosen engine.

import { loadEngine } from './engines/index.js';
import { createErrorStream } from './error-stream.js';
import { InvalidOptionError } from './errors.js';
import { fileWrapper } from './file-wrapper.js';
import { createGateway } from './gateway.js';
import { resolveTls } from './tls-options.js';
import { resolveLimits } from './limits.js';
import type { ResponseContext } from './response.js';
import type { App, Server, ServeOptions, TlsOptions } from './types.js';

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 8000;

/** Every ServeOptions key (the `satisfies` keeps this list equal to the type): an option
 * tsgi does not know is refused, never ignored (`{ tls: … }` must not serve plain HTTP). */
const OPTION_NAMES = {
  host: true, port: true, path: true, engine: true, maxBodySize: true, bodyMemoryLimit: true,
  maxRequestLine: true, maxHeaderCount: true, maxHeaderSize: true, keepAliveTimeout: true,
  headersTimeout: true, bodyTimeout: true, sendTimeout: true, logger: true, multiprocess: true,
  reusePort: true, serverHeader: true, urlScheme: true, tls: true,
} as const satisfies Record<keyof ServeOptions, true>;

/** Throws InvalidOptionError for the first key of `options` that is not an option,
 * naming it and the closest known name. */
function refuseUnknown(options: object): void {
  for (const key of Object.keys(options)) {
    if (Object.prototype.hasOwnProperty.call(OPTION_NAMES, key)) continue;
    const near = closest(key, Object.keys(OPTION_NAMES));
    throw new InvalidOptionError(`serveFast: unknown option ${JSON.stringify(key)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; the options are ${Object.keys(OPTION_NAMES).join(', ')}`);
  }
}

/** The known name nearest to `name` (case-insensitive edit distance <= 2), if any. */
function closest(name: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of names) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) { best = candidate; bestDistance = d; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

export async function serveFast(app: App, options: ServeOptions = {}): Promise<Server> {
  if (typeof app !== 'function') throw new InvalidOptionError(`serveFast: app must be a function (environ, startResponse) => body, got ${typeof app}`);
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(`serveFast: options must be an object, got ${options === null ? 'null' : typeof options}`);
  refuseUnknown(options);
  const limits = resolveLimits(options, 'serveFast');
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOptionError(`serveFast: port must be an integer 0-65535, got ${JSON.stringify(port)}`);
  const host = options.host ?? DEFAULT_HOST;
  const tls = options.tls === undefined ? undefined : resolveTls(options.tls, 'serveFast');
  const engine = await loadEngine(options.engine ?? 'auto');
  if (tls && !engine.servesTls) throw new InvalidOptionError(`serveFast: engine ${engine.name} does not serve TLS`);
  const errors = createErrorStream(options.logger);
  const context: ResponseContext = { serverHeader: options.serverHeader ?? 'tsgi', errors, closing: false };
  const handler = createGateway(app, {
    maxBodySize: limits.maxBodySize,
    bodyMemoryLimit: limits.bodyMemoryLimit,
    context,
    defaults: {
      urlScheme: options.urlScheme ?? (tls ? 'https' : 'http'),
      multiprocess: options.multiprocess ?? false,
      errors,
      fileWrapper,
      serverName: options.path ? 'localhost' : host,
    },
  });
  const listening = await engine.listen({
    host,
    port,
    path: options.path,
    reusePort: options.reusePort ?? false,
    maxRequestLine: limits.maxRequestLine,
    maxHeaderCount: limits.maxHeaderCount,
    maxHeaderSize: limits.maxHeaderSize,
    keepAliveTimeout: limits.keepAliveTimeout,
    headersTimeout: limits.headersTimeout,
    bodyTimeout: limits.bodyTimeout,
    sendTimeout: limits.sendTimeout,
    tls,
    logger: options.logger ?? { error: (m) => process.stderr.write(m + '\n') },
  }, handler);
  let closed: Promise<void> | undefined;
  return {
    host: listening.host,
    port: listening.port,
    engine: engine.name,
    tls: tls !== undefined,
    url: options.path ? `unix:${options.path}` : `${tls ? 'https' : 'http'}://${listening.host.includes(':') ? `[${listening.host}]` : listening.host}:${listening.port}`,
    reloadTls(next: TlsOptions): void {
      if (!tls) throw new InvalidOptionError('reloadTls: this server does not speak TLS (start it with the tls option)');
      if (!listening.updateTls) throw new InvalidOptionError(`reloadTls: engine ${engine.name} cannot swap certificates in place; restart the server (the CLI's SIGHUP replaces workers one by one)`);
      listening.updateTls(resolveTls(next, 'reloadTls'));
    },
    close(): Promise<void> {
      context.closing = true;
      return (closed ??= listening.close());
    },
  };
}
