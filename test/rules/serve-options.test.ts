// serveFast refuses what it does not understand: an unknown or misspelt option is an
// InvalidOptionError naming it (`{ tls: … }` must never serve plain HTTP), and the limits
// come from one table (src/limits.ts) that the CLI also reads.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, isTsgiError, serveFast, TlsConfigError } from '../../src/index.js';
import { LIMIT_DEFAULTS, resolveLimits } from '../../src/limits.js';
import { parseCli } from '../../src/cli/options.js';
import type { App } from '../../src/types.js';

const app: App = (_e, startResponse) => { startResponse('200 OK', []); return []; };

describe('serveFast options', () => {
  it.each([
    [{ tsl: { cert: 'x' } }, 'tsl', 'tls'],
    [{ maxBodysize: 10 }, 'maxBodysize', 'maxBodySize'],
    [{ keepAlive: 5 }, 'keepAlive', undefined],
    [{ hots: '0.0.0.0' }, 'hots', 'host'],
  ])('%j is refused, naming the option', async (options, name, suggestion) => {
    const error = await serveFast(app, { port: 0, ...(options as object) }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(isTsgiError(error)).toBe(true);
    expect((error as Error).message).toContain(JSON.stringify(name));
    if (suggestion) expect((error as Error).message).toContain(`did you mean ${JSON.stringify(suggestion)}`);
  });

  it('a tls option that is not a usable certificate is a TlsConfigError, never plain HTTP', async () => {
    const error = await serveFast(app, { port: 0, tls: { cert: 'x', key: 'y' } }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(TlsConfigError);
    expect(isTsgiError(error)).toBe(true);
    expect((error as Error).message).toMatch(/tls\.cert holds no PEM certificate/);
  });

  it('a bad limit is refused before anything listens, naming it', async () => {
    await expect(serveFast(app, { port: 0, maxHeaderCount: 0 })).rejects.toThrow(/maxHeaderCount must be a number >= 1/);
    await expect(serveFast(app, { port: 0, sendTimeout: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('every known option is accepted', async () => {
    const server = await serveFast(app, {
      host: '127.0.0.1', port: 0, engine: 'node', maxBodySize: 1, bodyMemoryLimit: 1, maxRequestLine: 100,
      maxHeaderCount: 10, maxHeaderSize: 1000, keepAliveTimeout: 1, headersTimeout: 1, bodyTimeout: 1, sendTimeout: 1,
      logger: { error: () => {} }, multiprocess: false, reusePort: false, serverHeader: 'x', urlScheme: 'http', path: undefined,
    });
    await server.close();
  });
});

describe('limits: one table of defaults', () => {
  it('resolveLimits fills in the defaults', () => {
    expect(resolveLimits({}, 'x')).toEqual(LIMIT_DEFAULTS);
  });
  it('the CLI defaults are the same numbers', () => {
    const parsed = parseCli(['app:app'], {});
    if (parsed.kind !== 'run') throw new Error(`expected a run config, got ${parsed.kind}`);
    expect(parsed.config.keepAlive).toBe(LIMIT_DEFAULTS.keepAliveTimeout);
    expect(parsed.config.headerTimeout).toBe(LIMIT_DEFAULTS.headersTimeout);
    expect(parsed.config.bodyTimeout).toBe(LIMIT_DEFAULTS.bodyTimeout);
    expect(parsed.config.sendTimeout).toBe(LIMIT_DEFAULTS.sendTimeout);
  });
});
