// The CLI's TLS flags on the real `tsgi` process: HTTPS with --certfile/--keyfile (and
// the TSGI_* variables), client certificates with --cert-reqs, a bad certificate or key
// refused in one line with exit 2 before any worker starts, and SIGHUP rotating the
// certificate with the workers — new connections get the new one, no request fails, and
// a broken file keeps the old workers serving the old certificate.
//
// Runs on every engine that serves TLS here: node (node:cluster hands the connections to
// the workers) and native (each worker's own SO_REUSEPORT listener); the flag checks
// before start need no engine at all.

import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, serveFast } from '../../src/index.js';
import { checkTls, expiredWarning } from '../../src/cli/tls.js';
import type { EngineName, TlsOptions } from '../../src/types.js';
import { availableEngines } from '../../src/engines/index.js';
import { ENGINES } from './engines.js';
import { tlsFixture, CLIENT_SUBJECT, ENCRYPTED_KEY_PASSPHRASE } from '../helpers/tls-certs.js';
import { childPids, CLI, delay, FIXTURES, loadRun, NODE, startTsgi, type Tsgi } from './helpers.js';

const certs = tlsFixture();
const SERIAL1 = new X509Certificate(certs.serverCert).serialNumber;
const SERIAL2 = new X509Certificate(certs.server2Cert).serialNumber;

/** What serveFast says when `engine` refuses these TLS options ('' = it serves them):
 * InvalidOptionError (an engine without TLS, or without one feature — uws has no
 * minimum version and no client certificates); any other failure is real and thrown. */
async function refusal(engine: EngineName, tls: Partial<TlsOptions> = {}): Promise<string> {
  try {
    const server = await serveFast(() => [], { engine, host: '127.0.0.1', port: 0, tls: { cert: certs.serverCert, key: certs.serverKey, ...tls } });
    await server.close();
    return '';
  } catch (error) {
    if (error instanceof InvalidOptionError) return error.message;
    throw error;
  }
}

/** Each engine: why its TLS tests are skipped ('' = they run), and which of the flags
 * below it refuses. A refused flag is tested too: tsgi exits 2 with the reason. */
const TLS_ENGINES = await Promise.all(ENGINES.map(async (engine) => {
  const skip = await refusal(engine);
  return {
    engine,
    skip,
    why: skip ? ` (skipped: ${skip})` : '',
    refusesTls13: skip || (await refusal(engine, { minVersion: 'TLSv1.3' })),
    refusesClientCerts: skip || (await refusal(engine, { requestCert: true, rejectUnauthorized: false })),
  };
}));

let server: Tsgi | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.stop('SIGKILL');
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A directory of its own with the server's cert.pem and key.pem (copies the test may overwrite). */
function certDir(): { cert: string; key: string } {
  dir = mkdtempSync(join(tmpdir(), 'tsgi-cli-tls-'));
  copyFileSync(certs.path('server'), join(dir, 'cert.pem'));
  copyFileSync(certs.path('server-key'), join(dir, 'key.pem'));
  return { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
}

/** `tsgi -k ENGINE … tls-environ.mjs`; resolves with its https:// URL's port once listening. */
async function startHttps(engine: EngineName, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ tsgi: Tsgi; port: number }> {
  server = await startTsgi(['-k', engine, '-b', '127.0.0.1:0', ...args, 'tls-environ.mjs'], { env });
  const m = /Listening at: https:\/\/127\.0\.0\.1:(\d+) /.exec(server.stderr());
  if (!m) throw new Error(`no https Listening line:\n${server.stderr()}`);
  return { tsgi: server, port: Number(m[1]) };
}

interface Answer { status: number; serial: string; environ: Record<string, string | number | boolean> }

/** GET / over node:https trusting the fixture CA; `agent` false = a new connection. */
function get(port: number, options: { agent?: Agent | false; cert?: string; key?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', servername: 'localhost', port, path: '/', ca: certs.caCert, agent: options.agent ?? false, cert: options.cert, key: options.key, maxVersion: options.maxVersion }, (res) => {
      const serial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('error', reject).on('end', () => {
        try {
          resolve({ status: res.statusCode!, serial, environ: JSON.parse(body) as Answer['environ'] });
        } catch (error) {
          reject(error);
        }
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject).end();
  });
}

const run = (args: string[], env: NodeJS.ProcessEnv = {}, engine: EngineName = 'node') =>
  spawnSync(NODE, [CLI, '-k', engine, '-b', '127.0.0.1:0', ...args, 'tls-environ.mjs'], { cwd: FIXTURES, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 15_000 });

describe('tsgi refuses a bad certificate or key before any worker starts', () => {
  const junk = (): string => {
    dir = mkdtempSync(join(tmpdir(), 'tsgi-cli-tls-'));
    writeFileSync(join(dir, 'junk.pem'), 'not a certificate\n');
    return join(dir, 'junk.pem');
  };
  it.each([
    ['a missing certificate', () => ['--certfile', '/nonexistent/cert.pem', '--keyfile', certs.path('server-key')], '/nonexistent/cert.pem', /--certfile \/nonexistent\/cert\.pem: cannot read it \(ENOENT/],
    ['a certificate file that is not PEM', () => { const j = junk(); return ['--certfile', j, '--keyfile', certs.path('server-key')]; }, 'junk.pem', /--certfile \S+junk\.pem holds no PEM certificate/],
    ['a key that does not match the certificate', () => ['--certfile', certs.path('server'), '--keyfile', certs.path('server2-key')], certs.path('server2-key'), /--keyfile \S+ does not match the certificate \(CN=tsgi-test-server\)/],
    ['a certificate given as the key', () => ['--certfile', certs.path('server'), '--keyfile', certs.path('server')], certs.path('server'), /--keyfile \S+ is not a usable PEM private key/],
    ['an encrypted key without TSGI_KEYFILE_PASSWORD', () => ['--certfile', certs.path('server'), '--keyfile', certs.path('server-key-encrypted')], certs.path('server-key-encrypted'), /is encrypted: give its passphrase in TSGI_KEYFILE_PASSWORD/],
    ['an unknown cipher list', () => ['--certfile', certs.path('server'), '--keyfile', certs.path('server-key'), '--ciphers', 'NO-SUCH-CIPHER'], 'NO-SUCH-CIPHER', /--ciphers "NO-SUCH-CIPHER": .*no cipher match/],
  ])('%s: exit 2, one line naming it', (_what, args, names, message) => {
    const r = run(args());
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tsgi: error: /);
    expect(lines[0]).toContain(names);
    expect(lines[0]).toMatch(message);
  });

  it('a wrong TSGI_KEYFILE_PASSWORD: exit 2, one line', () => {
    const r = run(['--certfile', certs.path('server'), '--keyfile', certs.path('server-key-encrypted')], { TSGI_KEYFILE_PASSWORD: 'wrong horse' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/--keyfile \S+server-key-encrypted\.pem is not a usable PEM private key: .*\(wrong passphrase\?\)$/)]);
  });

  it.each([
    [['--certfile', 'c.pem'], /--certfile needs --keyfile/],
    [['--keyfile', 'k.pem'], /--keyfile needs --certfile/],
    [['--ca-certs', 'ca.pem'], /--ca-certs needs --certfile and --keyfile/],
    [['--certfile', 'c.pem', '--keyfile', 'k.pem', '--cert-reqs', '2'], /--cert-reqs 2 needs --ca-certs/],
    [['--certfile', 'c.pem', '--keyfile', 'k.pem', '--cert-reqs', '3'], /--cert-reqs must be 0 \(none\), 1 \(optional\) or 2 \(required\)/],
    [['--certfile', 'c.pem', '--keyfile', 'k.pem', '--tls-min-version', 'TLSv1.1'], /--tls-min-version must be TLSv1\.2 or TLSv1\.3/],
    [['--certfile', 'c.pem', '--keyfile', 'k.pem', '--tls-handshake-timeout', 'soon'], /--tls-handshake-timeout must be a number of seconds/],
    [['--keyfile-password', 'x'], /Unknown option '--keyfile-password'/],
  ])('%j is a usage error (exit 2)', (args, message) => {
    const r = run(args as string[]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('an expired certificate is served but the supervisor warns (the fixture seen 60 days on)', () => {
    const tls = checkTls({ certfile: certs.path('server'), keyfile: certs.path('server-key'), caCerts: undefined, ciphers: undefined, minVersion: 'TLSv1.2', certReqs: 0, handshakeTimeout: 10 }, {});
    expect(expiredWarning(tls)).toBeUndefined();
    expect(expiredWarning(tls, Date.now() + 60 * 86_400_000)).toMatch(/^the certificate CN=tsgi-test-server expired on .* GMT: clients will refuse it$/);
  });

  it('TSGI_KEYFILE_PASSWORD without a key is a usage error (exit 2)', () => {
    const r = run([], { TSGI_KEYFILE_PASSWORD: ENCRYPTED_KEY_PASSPHRASE });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/TSGI_KEYFILE_PASSWORD is set but --keyfile is not/);
  });
});

/** The engine refuses the TLS flags: tsgi exits 2 with its reason before any worker. */
function expectRefusal(engine: EngineName, args: string[], reason: string, env: NodeJS.ProcessEnv = {}): void {
  const r = run(args, env, engine);
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toContain(`tsgi: error: --engine ${engine}: ${reason.replace(/^serveFast: /, '')}`);
  expect(r.stderr).not.toMatch(/booted|Listening at/);
}

describe.each(TLS_ENGINES)('tsgi serves HTTPS (engine $engine)', ({ engine, skip, why, refusesTls13, refusesClientCerts }) => {
  it.skipIf(skip)(`--certfile/--keyfile: https on every worker, the Listening line names the certificate${why}`, async () => {
    const { tsgi, port } = await startHttps(engine, ['-w', '2', '--certfile', certs.path('server'), '--keyfile', certs.path('server-key')]);
    expect(tsgi.stderr()).toMatch(/Listening at: https:\/\/127\.0\.0\.1:\d+ \(\d+\), certificate CN=tsgi-test-server, expires \w{3} +\d+ [\d:]+ \d{4} GMT/);
    const pids = new Set<number>();
    // New connections: node:cluster deals them round robin, SO_REUSEPORT by a hash of
    // the client's port (all 16 on one worker: 1 in 32768).
    for (let i = 0; i < 16; i++) {
      const answer = await get(port);
      expect(answer.status).toBe(200);
      expect(answer.serial).toBe(SERIAL1);
      expect(answer.environ['wsgi.url_scheme']).toBe('https');
      pids.add(answer.environ.pid as number);
    }
    expect(pids.size).toBe(2); // both workers speak TLS
  });

  it.skipIf(skip)(`TSGI_* variables: TSGI_CERTFILE, and TSGI_KEYFILE an encrypted key with TSGI_KEYFILE_PASSWORD, which the app does not see${why}`, async () => {
    const { port } = await startHttps(engine, [], {
      TSGI_CERTFILE: certs.path('server'),
      TSGI_KEYFILE: certs.path('server-key-encrypted'),
      TSGI_KEYFILE_PASSWORD: ENCRYPTED_KEY_PASSPHRASE,
    });
    const answer = await get(port);
    expect(answer.status).toBe(200);
    expect(answer.serial).toBe(SERIAL1);
    expect(answer.environ['wsgi.url_scheme']).toBe('https');
    expect(answer.environ.passwordVisible).toBe(false);
  });

  it.skipIf(skip)(`TSGI_TLS_MIN_VERSION=TLSv1.3: a TLS 1.2 client is refused${refusesTls13 ? ' — refused by this engine: exit 2 saying why, before any worker' : ''}${why}`, async () => {
    const env = { TSGI_TLS_MIN_VERSION: 'TLSv1.3' };
    const args = ['--certfile', certs.path('server'), '--keyfile', certs.path('server-key')];
    if (refusesTls13) return expectRefusal(engine, args, refusesTls13, env);
    const { port } = await startHttps(engine, args, env);
    expect((await get(port)).status).toBe(200);
    await expect(get(port, { maxVersion: 'TLSv1.2' })).rejects.toThrow(/version|alert|protocol/i);
  });

  const servesCerts = skip ? why : refusesClientCerts ? ` (skipped: ${refusesClientCerts})` : '';
  const refusesCerts = skip ? why : refusesClientCerts ? '' : ' (skipped: this engine serves client certificates)';
  it.skipIf(skip || !refusesClientCerts)(`--cert-reqs 1 and 2 on an engine without client certificates: exit 2 saying why, before any worker${refusesCerts}`, () => {
    for (const level of ['1', '2']) {
      expectRefusal(engine, ['--certfile', certs.path('server'), '--keyfile', certs.path('server-key'), '--ca-certs', certs.path('ca'), '--cert-reqs', level], refusesClientCerts);
    }
  });

  it.skipIf(skip || refusesClientCerts)(`--cert-reqs 2 --ca-certs: a client without a certificate fails the handshake, one with it is served${servesCerts}`, async () => {
    const { port } = await startHttps(engine, ['--certfile', certs.path('server'), '--keyfile', certs.path('server-key'), '--ca-certs', certs.path('ca'), '--cert-reqs', '2']);
    await expect(get(port)).rejects.toThrow();
    await expect(get(port, { cert: certs.strangerCert, key: certs.strangerKey })).rejects.toThrow();
    const answer = await get(port, { cert: certs.clientCert, key: certs.clientKey });
    expect(answer.status).toBe(200);
    expect(answer.environ.SSL_CLIENT_VERIFY).toBe('SUCCESS');
    expect(answer.environ.SSL_CLIENT_S_DN).toBe(CLIENT_SUBJECT);
  });

  it.skipIf(skip || refusesClientCerts)(`--cert-reqs 1 --ca-certs: a client without a certificate is served, SSL_CLIENT_VERIFY says so${servesCerts}`, async () => {
    const { port } = await startHttps(engine, ['--certfile', certs.path('server'), '--keyfile', certs.path('server-key'), '--ca-certs', certs.path('ca'), '--cert-reqs', '1']);
    const anonymous = await get(port);
    expect(anonymous.status).toBe(200);
    expect(anonymous.environ.SSL_CLIENT_VERIFY).toBe('NONE');
    const alice = await get(port, { cert: certs.clientCert, key: certs.clientKey });
    expect(alice.environ.SSL_CLIENT_VERIFY).toBe('SUCCESS');
  });
});

const EVERY_ENGINE = await availableEngines();

describe('--engine auto with TLS', () => {
  // ENGINES is in AUTO_ORDER: auto must take the first that serves client certificates
  // (known only when TSGI_TEST_ENGINES left every engine in).
  const all = ENGINES.length === EVERY_ENGINE.length;
  const expected = all ? TLS_ENGINES.find((e) => !e.refusesClientCerts)?.engine : undefined;
  it.skipIf(!expected)(`picks the fastest engine that serves the TLS flags given (--cert-reqs 1: ${expected ?? 'none here'})`, async () => {
    server = await startTsgi(['-b', '127.0.0.1:0', '--certfile', certs.path('server'), '--keyfile', certs.path('server-key'), '--ca-certs', certs.path('ca'), '--cert-reqs', '1', 'tls-environ.mjs']);
    expect(server.stderr()).toMatch(new RegExp(`Using engine ${expected} \\(fastest engine that loads here and serves these TLS options\\)`));
    const port = Number(/Listening at: https:\/\/127\.0\.0\.1:(\d+) /.exec(server.stderr())![1]);
    expect((await get(port)).environ.SSL_CLIENT_VERIFY).toBe('NONE');
  });
});

describe('SIGHUP reload under fresh connections (engine node, plain HTTP)', () => {
  // Without worker.ts's clusterQuiet, 5 of 18 runs of this lost a request (no answer:
  // the connection was handed to a worker that exited with it still in the pipe).
  it('control, plain HTTP: SIGHUP under a load of fresh connections fails no request (a hand-over to a stopping worker is never lost)', async () => {
    server = await startTsgi(['-k', 'node', '-w', '2', '-b', '127.0.0.1:0', 'app.mjs']);
    const s = server;
    const mark = s.stderr().length;
    const reloaded = (async () => {
      await delay(300); // under load
      s.proc.kill('SIGHUP');
      await s.waitForLog(/reload complete/, mark, 30_000);
      await delay(300); // and after
    })();
    const result = await loadRun(s.url, '/', 4, reloaded, { keepAlive: false });
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(10);
  });
});

/** uws loses requests when its workers are replaced under load: connections queued on a
 * stopping worker's SO_REUSEPORT listener are reset (plain HTTP too: docs/deployment.md,
 * "Backlog on a full stop"), and over TLS kept-alive ones fail as well. Its rotation
 * itself is tested below without load. */
const UWS_RELOAD_GAP = 'uws drops connections of workers replaced under load (TLS: kept-alive ones too)';

describe.each(TLS_ENGINES)('SIGHUP rotates the certificate with the workers (engine $engine)', ({ engine, skip, why }) => {
  const loadSkip = skip || (engine === 'uws' ? UWS_RELOAD_GAP : '');
  it.skipIf(loadSkip)(`new files + SIGHUP under load: no request fails, new connections get server2's certificate${loadSkip ? ` (skipped: ${loadSkip})` : ''}`, async () => {
    const files = certDir();
    const { tsgi, port } = await startHttps(engine, ['-w', '2', '--certfile', files.cert, '--keyfile', files.key]);
    const before = await childPids(tsgi.proc.pid!);
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    let stop = false;
    let ok = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    const loop = async (a: Agent | false): Promise<void> => {
      while (!stop) {
        try {
          const answer = await get(port, { agent: a });
          if (answer.status === 200) { seen.add(answer.serial); ok++; } else failures.push(`HTTP ${answer.status}`);
        } catch (error) {
          failures.push(`${(error as Error).message} (${a ? 'keep-alive' : 'new connection'})`);
        }
      }
    };
    const loops = [loop(agent), loop(agent), loop(false), loop(false)];
    while (ok < 50) await new Promise((r) => setImmediate(r));
    // Renewed certificate written into the same paths, as certbot or an operator would.
    copyFileSync(certs.path('server2'), files.cert);
    copyFileSync(certs.path('server2-key'), files.key);
    const mark = tsgi.stderr().length;
    tsgi.proc.kill('SIGHUP');
    await tsgi.waitForLog(/reload complete/, mark, 30_000);
    const atReload = ok;
    while (ok < atReload + 50) await new Promise((r) => setImmediate(r));
    stop = true;
    await Promise.all(loops);
    agent.destroy();
    expect(failures).toEqual([]);
    expect(seen).toContain(SERIAL1);
    expect(seen).toContain(SERIAL2);
    expect(tsgi.stderr().slice(mark)).toMatch(/SIGHUP: new certificate CN=tsgi-test-server, expires /);
    for (const pid of before) expect(tsgi.stderr()).toContain(`replacing worker ${pid}: reload`);
    expect((await get(port)).serial).toBe(SERIAL2);
  });

  it.skipIf(skip)(`a broken file + SIGHUP: one error line, the same workers keep serving the old certificate; fixed files + SIGHUP then rotate${why}`, async () => {
    const files = certDir();
    const { tsgi, port } = await startHttps(engine, ['-w', '2', '--certfile', files.cert, '--keyfile', files.key]);
    const before = (await childPids(tsgi.proc.pid!)).sort();
    // Half a rotation: the new certificate with the old key.
    copyFileSync(certs.path('server2'), files.cert);
    let mark = tsgi.stderr().length;
    tsgi.proc.kill('SIGHUP');
    const refused = await tsgi.waitForLog(/\[ERROR\] SIGHUP: (.*)\n/, mark);
    expect(refused[1]).toMatch(new RegExp(`--keyfile ${files.key} does not match the certificate .*; keeping the current workers and certificate`));
    for (let i = 0; i < 4; i++) expect((await get(port)).serial).toBe(SERIAL1);
    expect((await childPids(tsgi.proc.pid!)).sort()).toEqual(before);
    expect(tsgi.stderr().slice(mark)).not.toMatch(/replacing worker/);

    // Garbage in the certificate file: refused the same way.
    writeFileSync(files.cert, '-----BEGIN CERTIFICATE-----\ntruncated');
    mark = tsgi.stderr().length;
    tsgi.proc.kill('SIGHUP');
    await tsgi.waitForLog(/\[ERROR\] SIGHUP: --certfile \S+ holds no PEM certificate/, mark);
    expect((await get(port)).serial).toBe(SERIAL1);

    copyFileSync(certs.path('server2'), files.cert);
    copyFileSync(certs.path('server2-key'), files.key);
    mark = tsgi.stderr().length;
    tsgi.proc.kill('SIGHUP');
    await tsgi.waitForLog(/reload complete/, mark, 30_000);
    expect((await get(port)).serial).toBe(SERIAL2);
  });
});
