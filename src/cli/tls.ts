// The CLI's TLS files: read --certfile/--keyfile/--ca-certs (and TSGI_KEYFILE_PASSWORD)
// into serveFast's TlsOptions, and check them with resolveTls — the one judge of a
// certificate — in the supervisor before any worker starts and again on SIGHUP. Workers
// get the paths and read the files themselves when they start, so a replaced worker
// serves whatever the files hold then (nginx's model: SIGHUP = reload from disk).

import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { TlsConfigError } from '../errors.js';
import { resolveTls, type EngineTls, type TlsOptions } from '../tls-options.js';
import { KEYFILE_PASSWORD_ENV, type CliTls } from './options.js';

function read(flag: string, path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (error) {
    // "ENOENT: no such file or directory, open '…'" → the part before the path.
    const why = ((error as Error).message.split(',')[0] ?? '').trim();
    throw new TlsConfigError(`${flag} ${path}: cannot read it (${why})`, { cause: error });
  }
}

/** serveFast's `tls` from the flags: the files read now. Throws TlsConfigError naming
 * the file that cannot be read. */
export function readTlsOptions(tls: CliTls, env: NodeJS.ProcessEnv): TlsOptions {
  const passphrase = env[KEYFILE_PASSWORD_ENV];
  return {
    cert: read('--certfile', tls.certfile),
    key: read('--keyfile', tls.keyfile),
    ...(passphrase ? { passphrase } : {}),
    ...(tls.caCerts !== undefined ? { ca: read('--ca-certs', tls.caCerts) } : {}),
    ...(tls.ciphers !== undefined ? { ciphers: tls.ciphers } : {}),
    minVersion: tls.minVersion,
    // gunicorn/Python ssl: CERT_OPTIONAL asks and verifies what is sent; CERT_REQUIRED
    // also refuses a handshake without a valid certificate.
    requestCert: tls.certReqs > 0,
    rejectUnauthorized: tls.certReqs === 2,
    handshakeTimeout: tls.handshakeTimeout,
  };
}

/** Reads and checks the TLS files as every worker will; returns what resolveTls made of
 * them (subject and expiry for the log). Throws TlsConfigError with one line that names
 * the flag and file at fault. */
export function checkTls(tls: CliTls, env: NodeJS.ProcessEnv): EngineTls {
  return checkTlsOptions(readTlsOptions(tls, env), tls);
}

/** checkTls on options already read by readTlsOptions. */
export function checkTlsOptions(options: TlsOptions, tls: CliTls): EngineTls {
  let resolved: EngineTls;
  try {
    resolved = resolveTls(options, '--certfile');
  } catch (error) {
    if (!(error instanceof TlsConfigError)) throw error;
    throw new TlsConfigError(inFlagTerms(error.message, tls), { cause: error });
  }
  if (tls.ciphers !== undefined) {
    // resolveTls checks the list's shape; whether OpenSSL knows any of it only OpenSSL
    // says. Asked here so a typo exits 2 now rather than failing every worker's listen.
    try {
      createSecureContext({ ciphers: tls.ciphers });
    } catch (error) {
      throw new TlsConfigError(`--ciphers ${JSON.stringify(tls.ciphers)}: ${(error as Error).message}`, { cause: error });
    }
  }
  return resolved;
}

/** "CN=example.com, expires Jan  1 00:00:00 2027 GMT", for the log. */
export function describe(tls: EngineTls): string {
  return `${tls.subject}, expires ${tls.validTo}`;
}

/** An expired certificate is served all the same (as nginx does), but every client will
 * refuse it: the supervisor says so. */
export function expiredWarning(tls: EngineTls, now = Date.now()): string | undefined {
  return Date.parse(tls.validTo) < now ? `the certificate ${tls.subject} expired on ${tls.validTo}: clients will refuse it` : undefined;
}

/** resolveTls speaks of serveFast's option names (tls.cert, tls.key …); a CLI user knows
 * the flags and the files. */
function inFlagTerms(message: string, tls: CliTls): string {
  const names: Record<string, string> = {
    cert: `--certfile ${tls.certfile}`,
    key: `--keyfile ${tls.keyfile}`,
    ca: `--ca-certs ${tls.caCerts ?? ''}`,
    passphrase: KEYFILE_PASSWORD_ENV,
    minVersion: '--tls-min-version',
    ciphers: '--ciphers',
    requestCert: '--cert-reqs',
    rejectUnauthorized: '--cert-reqs',
    handshakeTimeout: '--tls-handshake-timeout',
  };
  return message
    .replace(/^--certfile: /, '')
    .replace(/\btls\.(\w+)/g, (whole, name: string) => names[name] ?? whole)
    .replace('give its passphrase', `give its passphrase in ${KEYFILE_PASSWORD_ENV}`)
    .replace(/\s*\n\s*/g, ' ');
}
