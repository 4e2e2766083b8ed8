// The TLS suite's lab: which engines serve TLS here (and why not, for a skip), a server
// per test with the fixture certificate, and the clients every file uses — raw bytes over
// node:tls and node:net, and external programs (curl, openssl s_client, python3).

import { execFile } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { serveFast } from '../../src/index.js';
import type { App, EngineName, Server, ServeOptions, TlsOptions } from '../../src/types.js';
import { engines, start } from '../helpers/server.js';
import { tlsFixture } from '../helpers/tls-certs.js';

export const certs = tlsFixture();
export const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

export interface TlsEngine {
  engine: EngineName;
  /** Why this engine's TLS tests are skipped; '' when it serves TLS. */
  skip: string;
  /** Why server.reloadTls cannot work on it; '' when it can. */
  noReload: string;
}

const hello: App = (_e, sr) => { sr('200 OK', TEXT); return ['hello']; };

/** Probe each engine once: serveFast refuses tls on an engine that does not serve it
 * ("does not serve TLS"); any other failure is a real failure and is thrown. */
export const tlsEngines: TlsEngine[] = await Promise.all(engines.map(async (engine): Promise<TlsEngine> => {
  let server: Server;
  try {
    server = await serveFast(hello, { host: '127.0.0.1', port: 0, engine, tls: { cert: certs.serverCert, key: certs.serverKey } });
  } catch (error) {
    const message = (error as Error).message;
    if (/does not serve TLS/.test(message)) return { engine, skip: message, noReload: message };
    throw error;
  }
  let noReload = '';
  try {
    server.reloadTls({ cert: certs.serverCert, key: certs.serverKey });
  } catch (error) {
    noReload = (error as Error).message;
  }
  await server.close();
  return { engine, skip: '', noReload };
}));

/** What engine uws cannot do over TLS (src/engines/uws-tls.ts, docs/engines.md): serveFast
 * refuses these options there (test/tls/uws.test.ts asserts it), so their tests skip. */
export const UWS_TLS = {
  minVersion: 'uWS.js v20.30 has no minimum-version setting: serveFast refuses minVersion TLSv1.3 on uws',
  handshakeTimeout: 'uWS.js v20.30 cuts unfinished handshakes only with its fixed 10 s idle timer: serveFast refuses handshakeTimeout below 10 on uws',
  clientCerts: 'uWS.js v20.30 admits a client without a certificate and cannot report verification: serveFast refuses requestCert on uws',
};
/** `reason` on uws, '' elsewhere: for it.skipIf. */
export const onUws = (engine: EngineName, reason: string): string => (engine === 'uws' ? reason : '');

/** The title suffix of a skipped test, so a skip always says why. */
export const why = (reason: string): string => (reason ? ` (skipped: ${reason})` : '');

/** A TLS server on `engine` with the fixture's server certificate plus `tls`. */
export function startTls(engine: EngineName, app: App, tls: Partial<TlsOptions> = {}, options: ServeOptions = {}, validate = true): Promise<Server> {
  return start(app, engine, { ...options, tls: { cert: certs.serverCert, key: certs.serverKey, ...tls } }, { validate });
}

/** A connection that collects what it reads and remembers when the peer ended it. */
export class Conn {
  text = '';
  bytes: Buffer[] = [];
  closedAt: number | undefined;
  error: Error | undefined;
  readonly openedAt = performance.now();
  private waiters: (() => void)[] = [];

  constructor(readonly socket: Socket | TLSSocket) {
    socket.on('data', (d: Buffer) => { this.bytes.push(d); this.text += d.toString('latin1'); this.wake(); });
    socket.on('error', (e) => { this.error = e; });
    socket.on('close', () => { this.closedAt = performance.now(); this.wake(); });
  }

  private wake(): void { for (const w of this.waiters.splice(0)) w(); }

  /** Resolves when `done(text)` holds or the connection closed; rejects after `ms`. */
  until(done: (text: string) => boolean, ms = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such answer within ${ms} ms; got ${JSON.stringify(this.text.slice(0, 300))}`)), ms);
      const check = (): void => {
        if (done(this.text) || this.closedAt !== undefined) { clearTimeout(timer); resolve(this.text); } else this.waiters.push(check);
      };
      check();
    });
  }

  /** ms from open until the peer closed, waiting at most `ms` (Infinity: still open). */
  async closed(ms = 5000): Promise<number> {
    await this.until(() => false, ms).catch(() => undefined);
    return this.closedAt === undefined ? Infinity : this.closedAt - this.openedAt;
  }

  get open(): boolean { return this.closedAt === undefined; }
}

/** A verified TLS connection to 127.0.0.1:port as "localhost"; resolves once secure. */
export function tls(port: number, options: ConnectionOptions = {}): Promise<Conn & { socket: TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: certs.caCert, ALPNProtocols: ['http/1.1'], ...options });
    const conn = new Conn(socket) as Conn & { socket: TLSSocket };
    socket.once('secureConnect', () => resolve(conn));
    socket.once('error', reject);
  });
}

/** A plain TCP connection; resolves once connected. */
export function tcp(port: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    socket.once('connect', () => resolve(new Conn(socket)));
    socket.once('error', reject);
  });
}

/** Complete HTTP/1.1 responses in `text` with a Content-Length (enough for our apps). */
export function responses(text: string): { status: number; body: string }[] {
  const out: { status: number; body: string }[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return out;
    const head = rest.slice(0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (rest.length < end + 4 + length) return out;
    out.push({ status: Number(head.slice(9, 12)), body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
}

export interface Ran { code: number | null; stdout: Buffer; stderr: string }

/** Run an external client; never throws on a non-zero exit (tests assert the code). */
export function run(command: string, args: string[], input = '', timeoutMs = 15_000): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : null) : 0;
      resolve({ code, stdout, stderr: stderr.toString() });
    });
    child.stdin!.end(input);
  });
}

/** `openssl s_client` against the server, trusting the fixture CA; `extra` picks versions/ALPN. */
export function sClient(port: number, extra: string[], input = ''): Promise<Ran & { out: string }> {
  return run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', certs.path('ca'), '-verify_return_error', ...extra], input)
    .then((r) => ({ ...r, out: r.stdout.toString() + r.stderr }));
}

/** An environ-echo app: answers the JSON of the listed keys (absent keys are omitted). */
export function echo(keys: string[]): App {
  return (environ, sr) => {
    const picked: Record<string, unknown> = {};
    for (const k of keys) if (environ[k] !== undefined) picked[k] = environ[k];
    sr('200 OK', [['Content-Type', 'application/json']]);
    return [JSON.stringify(picked)];
  };
}

export const ENV_KEYS = ['wsgi.url_scheme', 'HTTPS', 'SSL_PROTOCOL', 'SSL_CIPHER', 'SSL_CLIENT_S_DN', 'SSL_CLIENT_VERIFY', 'PATH_INFO'];

/** GET over a fresh verified TLS connection with raw bytes; resolves with status and body. */
export async function get(port: number, path = '/', options: ConnectionOptions = {}): Promise<{
  status: number; body: string; conn: Conn & { socket: TLSSocket }; protocol: string | null; cipher: { name: string; standardName: string };
}> {
  const conn = await tls(port, options);
  // Read before destroy(): a destroyed TLSSocket reports no protocol.
  const protocol = conn.socket.getProtocol();
  const { name, standardName } = conn.socket.getCipher();
  conn.socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  const text = await conn.until((t) => responses(t).length > 0);
  const [first] = responses(text);
  conn.socket.destroy();
  if (!first) throw new Error(`no complete response: ${JSON.stringify(text.slice(0, 200))}`);
  return { ...first, conn, protocol, cipher: { name, standardName } };
}
