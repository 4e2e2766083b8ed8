// serveFast(app, options): start a PEP 3333 server on the chosen engine.

import { loadEngine } from './engines/index.js';
import { createErrorStream } from './error-stream.js';
import { InvalidOptionError } from './errors.js';
import { fileWrapper } from './file-wrapper.js';
import { createGateway } from './gateway.js';
import type { ResponseContext } from './response.js';
import type { App, Server, ServeOptions } from './types.js';

const DEFAULTS = {
  host: '127.0.0.1',
  port: 8000,
  maxBodySize: 1024 * 1024 * 1024,
  bodyMemoryLimit: 1024 * 1024,
  maxRequestLine: 8190,
  maxHeaderCount: 100,
  maxHeaderSize: 16 * 1024,
  keepAliveTimeout: 5,
  headersTimeout: 30,
  bodyTimeout: 30,
};

function positive(options: ServeOptions, key: keyof typeof DEFAULTS, min = 1): number {
  const value = options[key] ?? DEFAULTS[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidOptionError(`serveFast: option ${key} must be a number >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export async function serveFast(app: App, options: ServeOptions = {}): Promise<Server> {
  if (typeof app !== 'function') throw new InvalidOptionError(`serveFast: app must be a function (environ, startResponse) => body, got ${typeof app}`);
  const port = options.port ?? DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidOptionError(`serveFast: port must be an integer 0-65535, got ${JSON.stringify(port)}`);
  const host = options.host ?? DEFAULTS.host;
  const engine = await loadEngine(options.engine ?? 'auto');
  const errors = createErrorStream(options.logger);
  const context: ResponseContext = { serverHeader: options.serverHeader ?? 'tsgi', errors, closing: false };
  const handler = createGateway(app, {
    maxBodySize: positive(options, 'maxBodySize', 0),
    bodyMemoryLimit: positive(options, 'bodyMemoryLimit', 0),
    context,
    defaults: {
      urlScheme: options.urlScheme ?? 'http',
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
    maxRequestLine: positive(options, 'maxRequestLine'),
    maxHeaderCount: positive(options, 'maxHeaderCount'),
    maxHeaderSize: positive(options, 'maxHeaderSize'),
    keepAliveTimeout: positive(options, 'keepAliveTimeout', 0),
    headersTimeout: positive(options, 'headersTimeout', 0),
    bodyTimeout: positive(options, 'bodyTimeout', 0),
    logger: options.logger ?? { error: (m) => process.stderr.write(m + '\n') },
  }, handler);
  let closed: Promise<void> | undefined;
  return {
    host: listening.host,
    port: listening.port,
    engine: engine.name,
    close(): Promise<void> {
      context.closing = true;
      return (closed ??= listening.close());
    },
  };
}
