// Bad options exit 2 with a clear message; --help lists every option with its TSGI_*
// variable; the parser itself (binds, sizes, environment).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseBind, parseCli, UsageError } from '../../src/cli/options.js';
import { CLI, FIXTURES, NODE } from './helpers.js';

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(NODE, [CLI, ...args], { cwd: FIXTURES, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 15_000 });

describe('tsgi command line', () => {
  it.each([
    [['--workers', 'many', 'app.mjs'], /--workers must be an integer/],
    [['--timeout=-1', 'app.mjs'], /--timeout must be a number of seconds/],
    [['--bogus', 'app.mjs'], /Unknown option '--bogus'/],
    [['--engine', 'apache', 'app.mjs'], /--engine must be auto, native, uws or node/],
    [['--bind', 'localhost:99999', 'app.mjs'], /port must be 0-65535/],
    [['--log-level', 'loud', 'app.mjs'], /--log-level must be one of/],
    [['--max-body-size', 'big', 'app.mjs'], /--max-body-size must be a byte count/],
    [[], /missing MODULE/],
    [['a.mjs', 'b.mjs'], /one application expected/],
    [['--certfile', 'c.pem', 'app.mjs'], /--certfile needs --keyfile/],
    [['no-such-module.mjs'], /cannot find module "no-such-module.mjs"/],
    // Where uws cannot load (Node >= 22) the refusal names that instead; exit 2 either way.
    [['--engine', 'uws', '--workers', '2', '--bind', 'unix:/tmp/tsgi-x.sock', 'app.mjs'], /needs --engine node|engine 'uws' is unavailable/],
  ])('%j exits 2 with a message', (args, message) => {
    const r = run(args as string[]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/tsgi --help/);
  });

  it('a bad TSGI_* variable is a usage error too', () => {
    const r = run(['app.mjs'], { TSGI_WORKERS: 'x' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--workers must be an integer/);
  });

  it('an export that is not an app exits 4 (app load error) with the reason', () => {
    const r = run(['-k', 'node', '-b', '127.0.0.1:0', 'broken-app.mjs']);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/is not an application/);
  });

  it('--help lists every option with its environment variable', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const option of ['bind', 'workers', 'engine', 'keep-alive', 'timeout', 'graceful-timeout', 'request-timeout', 'header-timeout', 'body-timeout', 'max-requests',
      'max-requests-jitter', 'max-worker-rss', 'max-worker-lifetime', 'max-body-size', 'limit-request-line', 'limit-request-fields',
      'limit-request-field-size', 'young-space', 'forwarded-allow-ips', 'access-log', 'access-log-format', 'error-log', 'log-level', 'certfile', 'keyfile', 'ca-certs', 'ciphers', 'tls-min-version', 'cert-reqs', 'tls-handshake-timeout', 'reload']) {
      expect(r.stdout).toContain(`--${option}`);
      expect(r.stdout).toContain(`TSGI_${option.toUpperCase().replace(/-/g, '_')}`);
    }
    // The key's passphrase is an environment variable only: a flag would show in `ps`.
    expect(r.stdout).toContain('TSGI_KEYFILE_PASSWORD');
    expect(r.stdout).not.toContain('--keyfile-password');
  });
});

describe('option parsing', () => {
  it('parses binds', () => {
    expect(parseBind('127.0.0.1:8080')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8080 });
    expect(parseBind('[::1]:9000')).toEqual({ kind: 'tcp', host: '::1', port: 9000 });
    expect(parseBind(':80')).toEqual({ kind: 'tcp', host: '0.0.0.0', port: 80 });
    expect(parseBind('localhost')).toEqual({ kind: 'tcp', host: 'localhost', port: 8000 });
    expect(parseBind('unix:/run/tsgi.sock')).toEqual({ kind: 'unix', path: '/run/tsgi.sock' });
    expect(() => parseBind('unix:')).toThrow(UsageError);
  });

  it('refuses bad --young-space and --body-timeout values', () => {
    expect(() => parseCli(['--young-space', 'big', 'app.mjs'], {})).toThrow(/--young-space/);
    expect(() => parseCli(['--body-timeout', '-3', 'app.mjs'], {})).toThrow(/--body-timeout/);
    const r = parseCli(['--young-space', '0', '--body-timeout', '2.5', 'app.mjs'], {});
    if (r.kind !== 'run') throw new Error(r.kind);
    expect(r.config.youngSpace).toBe(0);
    expect(r.config.bodyTimeout).toBe(2.5);
  });

  it('takes TSGI_* variables, command line first', () => {
    const r = parseCli(['--workers', '3', 'app.mjs'], { TSGI_WORKERS: '5', TSGI_KEEP_ALIVE: '7', TSGI_BIND: 'a:1, unix:/s', TSGI_RELOAD: 'true', TSGI_MAX_BODY_SIZE: '10m' });
    if (r.kind !== 'run') throw new Error(r.kind);
    expect(r.config.workers).toBe(3);
    expect(r.config.keepAlive).toBe(7);
    expect(r.config.binds).toEqual([{ kind: 'tcp', host: 'a', port: 1 }, { kind: 'unix', path: '/s' }]);
    expect(r.config.reload).toBe(true);
    expect(r.config.maxBodySize).toBe(10 * 1024 * 1024);
    expect(r.config.forwardedAllowIps).toEqual(['127.0.0.1', '::1']);
  });
});
