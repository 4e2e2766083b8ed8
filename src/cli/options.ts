// Command line and TSGI_* environment variables → one validated CliConfig.
// Every option is declared once in OPTIONS: its parseArgs shape, its environment
// variable, its help line. A bad value is a UsageError (the CLI exits 2 with it).

import { availableParallelism } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_ACCESS_LOG_FORMAT } from '../middleware/access-log.js';
import { isProxyEntry } from '../middleware/forwarded.js';
import { LIMIT_DEFAULTS } from '../limits.js';
import { TLS_DEFAULTS, type TlsVersion } from '../tls-options.js';
import type { EngineName } from '../types.js';
import { DEFAULT_YOUNG_SPACE_MB } from './v8-flags.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'critical';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warning', 'error', 'critical'];

/** One address to serve: TCP host:port or a Unix socket path. */
export type Bind = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

export interface CliConfig {
  module: string;
  binds: Bind[];
  workers: number;
  engine: EngineName | 'auto';
  keepAlive: number;
  timeout: number;
  gracefulTimeout: number;
  requestTimeout: number;
  headerTimeout: number;
  bodyTimeout: number;
  sendTimeout: number;
  maxRequests: number;
  maxRequestsJitter: number;
  maxWorkerRss: number;
  maxWorkerLifetime: number;
  /** V8 semi-space size of each worker, MB; 0 = Node's default (v8-flags.ts). */
  youngSpace: number;
  maxBodySize: number | undefined;
  limitRequestLine: number | undefined;
  limitRequestFields: number | undefined;
  limitRequestFieldSize: number | undefined;
  forwardedAllowIps: string[];
  accessLog: string | undefined;
  accessLogFormat: string;
  errorLog: string;
  logLevel: LogLevel;
  reload: boolean;
  /** --certfile and friends; undefined = plain HTTP. */
  tls: CliTls | undefined;
}

/** The TLS flags as given: file paths, read (and read again on SIGHUP) by src/cli/tls.ts.
 * The key's passphrase is not here: it comes from TSGI_KEYFILE_PASSWORD only. */
export interface CliTls {
  certfile: string;
  keyfile: string;
  caCerts: string | undefined;
  ciphers: string | undefined;
  minVersion: TlsVersion;
  /** gunicorn/ssl's cert_reqs: 0 CERT_NONE, 1 CERT_OPTIONAL, 2 CERT_REQUIRED. */
  certReqs: 0 | 1 | 2;
  handshakeTimeout: number;
}

/** The encrypted key's passphrase: an environment variable only, never a flag (a flag
 * would show in `ps` to every user of the machine). */
export const KEYFILE_PASSWORD_ENV = 'TSGI_KEYFILE_PASSWORD';


interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  arg?: string;
  help: string;
}

/** Declared once: parseArgs options, TSGI_<NAME> variables and --help all come from here. */
const OPTIONS: Record<string, OptionSpec> = {
  bind: { type: 'string', short: 'b', multiple: true, arg: 'ADDRESS', help: 'HOST:PORT, [IPv6]:PORT, :PORT or unix:PATH; repeatable. Default 127.0.0.1:8000' },
  workers: { type: 'string', short: 'w', arg: 'N', help: "worker processes; 'auto' = number of cores. Default 1" },
  engine: { type: 'string', short: 'k', arg: 'NAME', help: "auto, native, uws or node. Default auto" },
  'keep-alive': { type: 'string', arg: 'SECONDS', help: `idle keep-alive connections close after this. Default ${LIMIT_DEFAULTS.keepAliveTimeout}` },
  timeout: { type: 'string', short: 't', arg: 'SECONDS', help: 'a worker whose event loop is blocked this long is killed and replaced; 0 = never. Default 30' },
  'graceful-timeout': { type: 'string', arg: 'SECONDS', help: 'in-flight requests get this long to finish on stop, restart or recycle. Default 30' },
  'request-timeout': { type: 'string', arg: 'SECONDS', help: 'per-request deadline: 503 (or the connection closed) without killing the worker; 0 = none. Default 0' },
  'header-timeout': { type: 'string', arg: 'SECONDS', help: `a client must send its request head within this (slowloris). Default ${LIMIT_DEFAULTS.headersTimeout}` },
  'body-timeout': { type: 'string', arg: 'SECONDS', help: `a request body that pauses this long between two reads gets 408 and the connection closes; 0 = never. Default ${LIMIT_DEFAULTS.bodyTimeout}` },
  'send-timeout': { type: 'string', arg: 'SECONDS', help: `a client that accepts none of its queued response bytes for this long is disconnected; 0 = never. Default ${LIMIT_DEFAULTS.sendTimeout}` },
  'young-space': { type: 'string', arg: 'MB', help: "V8 young-generation semi-space of each worker in MB (fewer GC pauses, +2x MB RSS); 0 = Node's default. Default 16" },
  'max-requests': { type: 'string', arg: 'N', help: 'recycle a worker after this many requests; 0 = never. Default 0' },
  'max-requests-jitter': { type: 'string', arg: 'N', help: 'add 0..N at random to --max-requests per worker. Default 0' },
  'max-worker-rss': { type: 'string', arg: 'MB', help: 'recycle a worker whose resident memory passes this; 0 = never. Default 0' },
  'max-worker-lifetime': { type: 'string', arg: 'SECONDS', help: 'recycle a worker after this long (jittered by up to 10%); 0 = never. Default 0' },
  'max-body-size': { type: 'string', arg: 'BYTES', help: `larger request bodies get 413; suffixes k, m, g. Default ${LIMIT_DEFAULTS.maxBodySize / 1024 ** 3}g` },
  'limit-request-line': { type: 'string', arg: 'BYTES', help: `longest request line (414 beyond). Default ${LIMIT_DEFAULTS.maxRequestLine}` },
  'limit-request-fields': { type: 'string', arg: 'N', help: `most header fields per request (431 beyond). Default ${LIMIT_DEFAULTS.maxHeaderCount}` },
  'limit-request-field-size': { type: 'string', arg: 'BYTES', help: `largest request header block (431 beyond). Default ${LIMIT_DEFAULTS.maxHeaderSize}` },
  'forwarded-allow-ips': { type: 'string', arg: 'IPS', help: "peers (IP addresses, comma-separated; '*' = all) whose X-Forwarded-For/-Proto/-Host, or Forwarded when none of those is sent, are honoured; only valid addresses, schemes and hosts are taken. Empty = off. Default 127.0.0.1,::1" },
  'access-log': { type: 'string', arg: 'FILE', help: "access log file, '-' = stdout. Default: none (no per-request cost)" },
  'access-log-format': { type: 'string', arg: 'FORMAT', help: `gunicorn atoms: %(h)s %(r)s %(s)s %(b)s %(D)s %(L)s %({header}i)s ... Default '${DEFAULT_ACCESS_LOG_FORMAT}'` },
  'error-log': { type: 'string', arg: 'FILE', help: "error log file, '-' = stderr. Default -" },
  'log-level': { type: 'string', arg: 'LEVEL', help: 'debug, info, warning, error or critical. Default info' },
  certfile: { type: 'string', arg: 'FILE', help: 'serve HTTPS with this PEM certificate chain (server certificate first); needs --keyfile; re-read on SIGHUP' },
  keyfile: { type: 'string', arg: 'FILE', help: `PEM private key of --certfile; an encrypted key's passphrase is read from ${KEYFILE_PASSWORD_ENV} (never a flag)` },
  'ca-certs': { type: 'string', arg: 'FILE', help: 'PEM CA certificates that client certificates must chain to (--cert-reqs 1 or 2)' },
  ciphers: { type: 'string', arg: 'LIST', help: "OpenSSL cipher list for TLS 1.2. Default: Node's" },
  'tls-min-version': { type: 'string', arg: 'VERSION', help: `TLSv1.2 or TLSv1.3 (older versions are never accepted). Default ${TLS_DEFAULTS.minVersion}` },
  'cert-reqs': { type: 'string', arg: 'N', help: 'client certificates: 0 none, 1 optional (verified if sent), 2 required; 1 and 2 need --ca-certs. Default 0' },
  'tls-handshake-timeout': { type: 'string', arg: 'SECONDS', help: `a client must complete the TLS handshake within this; 0 = never. Default ${TLS_DEFAULTS.handshakeTimeout}` },
  reload: { type: 'boolean', help: 'restart the workers when a source file changes (development)' },
  help: { type: 'boolean', short: 'h', help: 'show this help and exit' },
  version: { type: 'boolean', short: 'v', help: 'show the version and exit' },
};

const envName = (option: string): string => 'TSGI_' + option.toUpperCase().replace(/-/g, '_');

export function helpText(): string {
  const lines = [
    'Usage: tsgi [options] MODULE[:EXPORT]',
    '',
    'Serve the PEP 3333 application EXPORT (default `app`, else the default export) of',
    'MODULE (a .js/.mjs/.cjs file or package; .ts where Node strips types). EXPORT may end',
    'in () to call a factory: app.js:createApp().',
    '',
    'Options (each also settable as the environment variable shown):',
  ];
  for (const [name, spec] of Object.entries(OPTIONS)) {
    const flag = (spec.short ? `-${spec.short}, ` : '    ') + `--${name}` + (spec.arg ? ` ${spec.arg}` : '');
    const env = name === 'help' || name === 'version' ? '' : ` [${envName(name)}]`;
    lines.push(`  ${flag.padEnd(36)} ${spec.help}${env}`);
  }
  lines.push('', 'Signals: TERM/INT graceful stop, HUP reload every worker one by one (with TLS, after the certificate',
    'files are re-read and checked: a bad one is logged and the current workers keep serving), TTIN/TTOU',
    'add/remove a worker.');
  return lines.join('\n') + '\n';
}

export type ParseResult = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; config: CliConfig };

export function parseCli(argv: string[], env: NodeJS.ProcessEnv): ParseResult {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS as NonNullable<ParseArgsConfig['options']>, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const get = (name: string): string | undefined => {
    const v = values[name];
    if (typeof v === 'string') return v;
    return env[envName(name)] || undefined;
  };
  const flag = (name: string): boolean => {
    if (values[name] === true) return true;
    const v = env[envName(name)];
    return v !== undefined && /^(1|true|yes|on)$/i.test(v);
  };

  const positionals = parsed.positionals.length > 0 ? parsed.positionals : (env.TSGI_APP ? [env.TSGI_APP] : []);
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? 'missing MODULE[:EXPORT] (the application to serve)' : `one application expected, got ${positionals.length}: ${positionals.join(' ')}`);
  }
  const bindValues = Array.isArray(values.bind) ? values.bind : (env.TSGI_BIND ? env.TSGI_BIND.split(/[\s,]+/).filter(Boolean) : ['127.0.0.1:8000']);

  const engine = get('engine') ?? 'auto';
  if (!['auto', 'native', 'uws', 'node'].includes(engine)) throw new UsageError(`--engine must be auto, native, uws or node, got ${JSON.stringify(engine)}`);
  const logLevel = (get('log-level') ?? 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(logLevel)}`);
  const workersText = get('workers') ?? '1';
  const workers = workersText === 'auto' ? availableParallelism() : integer('workers', workersText, 1);

  return {
    kind: 'run',
    config: {
      module: positionals[0]!,
      binds: bindValues.map(parseBind),
      workers,
      engine: engine as EngineName | 'auto',
      keepAlive: seconds('keep-alive', get('keep-alive') ?? String(LIMIT_DEFAULTS.keepAliveTimeout)),
      timeout: seconds('timeout', get('timeout') ?? '30'),
      gracefulTimeout: seconds('graceful-timeout', get('graceful-timeout') ?? '30'),
      requestTimeout: seconds('request-timeout', get('request-timeout') ?? '0'),
      headerTimeout: seconds('header-timeout', get('header-timeout') ?? String(LIMIT_DEFAULTS.headersTimeout)),
      bodyTimeout: seconds('body-timeout', get('body-timeout') ?? String(LIMIT_DEFAULTS.bodyTimeout)),
      sendTimeout: seconds('send-timeout', get('send-timeout') ?? String(LIMIT_DEFAULTS.sendTimeout)),
      maxRequests: integer('max-requests', get('max-requests') ?? '0', 0),
      maxRequestsJitter: integer('max-requests-jitter', get('max-requests-jitter') ?? '0', 0),
      maxWorkerRss: integer('max-worker-rss', get('max-worker-rss') ?? '0', 0),
      maxWorkerLifetime: seconds('max-worker-lifetime', get('max-worker-lifetime') ?? '0'),
      youngSpace: integer('young-space', get('young-space') ?? String(DEFAULT_YOUNG_SPACE_MB), 0),
      maxBodySize: optional(get('max-body-size'), (v) => bytes('max-body-size', v)),
      limitRequestLine: optional(get('limit-request-line'), (v) => integer('limit-request-line', v, 1)),
      limitRequestFields: optional(get('limit-request-fields'), (v) => integer('limit-request-fields', v, 1)),
      limitRequestFieldSize: optional(get('limit-request-field-size'), (v) => bytes('limit-request-field-size', v)),
      forwardedAllowIps: addressList('forwarded-allow-ips', get('forwarded-allow-ips') ?? '127.0.0.1,::1'),
      accessLog: get('access-log'),
      accessLogFormat: get('access-log-format') ?? DEFAULT_ACCESS_LOG_FORMAT,
      errorLog: get('error-log') ?? '-',
      logLevel: logLevel as LogLevel,
      reload: flag('reload'),
      tls: tlsOptions(get, env),
    },
  };
}

const TLS_ONLY = ['ca-certs', 'ciphers', 'tls-min-version', 'cert-reqs', 'tls-handshake-timeout'] as const;

function tlsOptions(get: (name: string) => string | undefined, env: NodeJS.ProcessEnv): CliTls | undefined {
  const certfile = get('certfile');
  const keyfile = get('keyfile');
  if (certfile === undefined && keyfile === undefined) {
    // A TLS setting without a certificate would silently serve plain HTTP.
    const stray = TLS_ONLY.find((name) => get(name) !== undefined);
    if (stray) throw new UsageError(`--${stray} needs --certfile and --keyfile (TLS is off without them)`);
    if (env[KEYFILE_PASSWORD_ENV]) throw new UsageError(`${KEYFILE_PASSWORD_ENV} is set but --keyfile is not`);
    return undefined;
  }
  if (certfile === undefined) throw new UsageError('--keyfile needs --certfile (the certificate of that key)');
  if (keyfile === undefined) throw new UsageError('--certfile needs --keyfile (the private key of that certificate)');
  const minVersion = get('tls-min-version') ?? TLS_DEFAULTS.minVersion;
  if (minVersion !== 'TLSv1.2' && minVersion !== 'TLSv1.3') throw new UsageError(`--tls-min-version must be TLSv1.2 or TLSv1.3, got ${JSON.stringify(minVersion)}`);
  const certReqsText = get('cert-reqs') ?? '0';
  if (!/^[012]$/.test(certReqsText)) throw new UsageError(`--cert-reqs must be 0 (none), 1 (optional) or 2 (required), got ${JSON.stringify(certReqsText)}`);
  const certReqs = Number(certReqsText) as 0 | 1 | 2;
  const caCerts = get('ca-certs');
  if (certReqs > 0 && caCerts === undefined) throw new UsageError(`--cert-reqs ${certReqs} needs --ca-certs (the CAs client certificates must chain to)`);
  return {
    certfile,
    keyfile,
    caCerts,
    ciphers: get('ciphers'),
    minVersion,
    certReqs,
    handshakeTimeout: seconds('tls-handshake-timeout', get('tls-handshake-timeout') ?? String(TLS_DEFAULTS.handshakeTimeout)),
  };
}

function optional<T>(value: string | undefined, parse: (v: string) => T): T | undefined {
  return value === undefined ? undefined : parse(value);
}

function integer(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

function seconds(name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a number of seconds >= 0, got ${JSON.stringify(text)}`);
  return n;
}

/** Comma-separated IP addresses or '*'; '' = none. */
function addressList(name: string, text: string): string[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of list) {
    if (!isProxyEntry(a)) throw new UsageError(`--${name} takes IP addresses or '*', got ${JSON.stringify(a)}`);
  }
  return list;
}

function bytes(name: string, text: string): number {
  const m = /^(\d+)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--${name} must be a byte count such as 1048576, 512k, 10m or 1g, got ${JSON.stringify(text)}`);
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * scale;
}

export function parseBind(text: string): Bind {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (!path) throw new UsageError(`--bind unix: needs a path, got ${JSON.stringify(text)}`);
    return { kind: 'unix', path };
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*))(?::(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`--bind must be HOST:PORT, [IPv6]:PORT or unix:PATH, got ${JSON.stringify(text)}`);
  const host = m[1] ?? (m[2] || '0.0.0.0');
  const port = m[3] === undefined ? 8000 : Number(m[3]);
  if (port > 65535) throw new UsageError(`--bind port must be 0-65535, got ${JSON.stringify(text)}`);
  return { kind: 'tcp', host, port };
}

export function formatBind(bind: Bind, port?: number, scheme: 'http' | 'https' = 'http'): string {
  if (bind.kind === 'unix') return `unix:${bind.path}`;
  const host = bind.host.includes(':') ? `[${bind.host}]` : bind.host;
  return `${scheme}://${host}:${port ?? bind.port}`;
}
