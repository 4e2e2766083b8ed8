// TLS options: the public shape (TlsOptions), their checks, and the resolved form every
// engine receives (EngineTls). One place for serveFast, Server.reloadTls and the CLI, so
// a certificate is judged the same way everywhere and a bad one fails before listening.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { TlsConfigError } from './errors.js';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** serveFast's `tls` option. PEM text as a string or Buffer. */
export interface TlsOptions {
  /** Certificate chain, PEM: the server's certificate first, then intermediates. */
  cert: string | Buffer;
  /** Private key, PEM (PKCS#8, PKCS#1 or SEC1; encrypted when `passphrase` is given). */
  key: string | Buffer;
  /** Passphrase of an encrypted key. */
  passphrase?: string;
  /** CA certificates, PEM, that client certificates must chain to (with requestCert). */
  ca?: string | Buffer;
  /** Oldest protocol accepted. Default 'TLSv1.2'; TLS 1.0 and 1.1 are never offered. */
  minVersion?: TlsVersion;
  /** OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are OpenSSL's defaults). */
  ciphers?: string;
  /** Ask the client for a certificate (gunicorn --cert-reqs 1 or 2). Default false. */
  requestCert?: boolean;
  /** With requestCert: refuse a handshake without a certificate that verifies against
   * `ca` (gunicorn --cert-reqs 2, CERT_REQUIRED). Default true; false accepts clients
   * without one (CERT_OPTIONAL) and reports the outcome in SSL_CLIENT_VERIFY. */
  rejectUnauthorized?: boolean;
  /** Seconds a client has to complete the handshake after connecting. Default 10. */
  handshakeTimeout?: number;
}

/** What an engine receives: checked, PEM as text, the key decrypted, defaults applied. */
export interface EngineTls {
  readonly cert: string;
  /** Unencrypted PKCS#8 PEM (decrypted here, so engines never handle passphrases). */
  readonly key: string;
  readonly ca: string | undefined;
  readonly minVersion: TlsVersion;
  readonly ciphers: string | undefined;
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
  /** Seconds; 0 = none. */
  readonly handshakeTimeout: number;
  /** Subject of the leaf certificate, for logs ("CN=example.com"). */
  readonly subject: string;
  /** Leaf certificate expiry (X509 validTo), for logs. */
  readonly validTo: string;
}

export const TLS_DEFAULTS = { minVersion: 'TLSv1.2', handshakeTimeout: 10 } as const;

const TLS_KEYS = new Set(['cert', 'key', 'passphrase', 'ca', 'minVersion', 'ciphers', 'requestCert', 'rejectUnauthorized', 'handshakeTimeout']);
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function pemText(value: unknown, name: string, where: string): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  throw new TlsConfigError(`${where}: tls.${name} must be PEM text (a string or Buffer), got ${value === null ? 'null' : typeof value}`);
}

/** The certificates of a PEM bundle, each parsed; throws naming `name` when there is
 * none or one does not parse. */
function parseCertificates(pem: string, name: string, where: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT);
  if (!blocks) throw new TlsConfigError(`${where}: tls.${name} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new TlsConfigError(`${where}: tls.${name}: certificate ${i + 1} does not parse: ${(error as Error).message}`, { cause: error });
    }
  });
}

/** Checks `options` and returns what engines receive; throws TlsConfigError with one
 * line naming what is wrong (unknown key, not PEM, wrong passphrase, key does not match
 * the certificate, bad version). `where` prefixes the message ("serveFast", "--certfile"). */
export function resolveTls(options: unknown, where: string): EngineTls {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TlsConfigError(`${where}: tls must be an object { cert, key, … }, got ${options === null ? 'null' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (!TLS_KEYS.has(key)) throw new TlsConfigError(`${where}: unknown tls option ${JSON.stringify(key)}; the options are ${[...TLS_KEYS].join(', ')}`);
  }
  const o = options as Record<string, unknown>;
  const certPem = pemText(o.cert, 'cert', where);
  const keyPem = pemText(o.key, 'key', where);
  const passphrase = o.passphrase;
  if (passphrase !== undefined && typeof passphrase !== 'string') throw new TlsConfigError(`${where}: tls.passphrase must be a string`);
  const chain = parseCertificates(certPem, 'cert', where);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyPem, format: 'pem', ...(passphrase !== undefined ? { passphrase } : {}) });
  } catch (error) {
    const why = (error as Error).message;
    const encrypted = /ENCRYPTED/.test(keyPem);
    const hint = encrypted && passphrase === undefined ? ' (the key is encrypted: give its passphrase)'
      : encrypted || /decrypt/i.test(why) ? ' (wrong passphrase?)' : '';
    throw new TlsConfigError(`${where}: tls.key is not a usable PEM private key: ${why}${hint}`, { cause: error });
  }
  const leaf = chain[0]!;
  if (!leaf.checkPrivateKey(key)) throw new TlsConfigError(`${where}: tls.key does not match the certificate (${leaf.subject.replace(/\n/g, ', ')})`);
  let ca: string | undefined;
  if (o.ca !== undefined) {
    ca = pemText(o.ca, 'ca', where);
    parseCertificates(ca, 'ca', where);
  }
  const minVersion = o.minVersion ?? TLS_DEFAULTS.minVersion;
  if (minVersion !== 'TLSv1.2' && minVersion !== 'TLSv1.3') throw new TlsConfigError(`${where}: tls.minVersion must be 'TLSv1.2' or 'TLSv1.3' (older versions are refused), got ${JSON.stringify(minVersion)}`);
  const ciphers = o.ciphers;
  if (ciphers !== undefined && (typeof ciphers !== 'string' || ciphers === '' || /[\0\r\n]/.test(ciphers))) throw new TlsConfigError(`${where}: tls.ciphers must be a non-empty OpenSSL cipher list`);
  const requestCert = o.requestCert ?? false;
  if (typeof requestCert !== 'boolean') throw new TlsConfigError(`${where}: tls.requestCert must be a boolean`);
  const rejectUnauthorized = o.rejectUnauthorized ?? true;
  if (typeof rejectUnauthorized !== 'boolean') throw new TlsConfigError(`${where}: tls.rejectUnauthorized must be a boolean`);
  if (requestCert && rejectUnauthorized && ca === undefined) throw new TlsConfigError(`${where}: tls.requestCert with rejectUnauthorized needs tls.ca, the CAs client certificates must chain to`);
  const handshakeTimeout = o.handshakeTimeout ?? TLS_DEFAULTS.handshakeTimeout;
  if (typeof handshakeTimeout !== 'number' || !Number.isFinite(handshakeTimeout) || handshakeTimeout < 0) throw new TlsConfigError(`${where}: tls.handshakeTimeout must be a number of seconds >= 0`);
  return {
    cert: chain.map((c) => c.toString()).join(''),
    key: key.export({ format: 'pem', type: 'pkcs8' }) as string,
    ca,
    minVersion,
    ciphers: ciphers as string | undefined,
    requestCert,
    rejectUnauthorized,
    handshakeTimeout,
    subject: leaf.subject.replace(/\n/g, ', '),
    validTo: leaf.validTo,
  };
}
