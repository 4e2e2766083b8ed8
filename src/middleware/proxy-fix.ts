// proxyFix(app, options): behind reverse proxies, take the client's address and the
// scheme, host, port and path prefix it asked for from the X-Forwarded-* headers the
// proxies set, and nothing a client could forge. Two ways to say whom to believe:
//
// - By count, like werkzeug's ProxyFix: `xFor: 2` says two proxies append to
//   X-Forwarded-For, so the value used is the one the outermost of them saw, the 2nd
//   from the right; values a client put on the left are never read. A header with fewer
//   values than its count is ignored.
// - By address, like gunicorn's forwarded_allow_ips (the CLI's --forwarded-allow-ips):
//   `trustedProxies` lists the proxies. The headers count only when the peer is one of
//   them, and the client is the rightmost X-Forwarded-For address that is not (each
//   proxy appends the address it received from). The x* options then switch a header
//   on (> 0) or off (0); a header with fewer values than trusted hops gives its leftmost
//   value (a proxy that overwrites rather than appends).
//
// A value is believed only when well formed (forwarded.ts): REMOTE_ADDR becomes an IP
// address or stays the peer's. The originals of the keys changed are kept in
// environ['tsgi.proxy_fix.orig'].

import { InvalidOptionError } from '../errors.js';
import { splitAuthority } from '../request-target.js';
import type { App, Environ, StartResponse } from '../types.js';
import { createTrust, isProxyEntry, nodeAddress, parseForwarded, validAddress, validHost, validPort, validScheme } from './forwarded.js';

export interface ProxyFixOptions {
  /** X-Forwarded-For → REMOTE_ADDR (and REMOTE_PORT ''). Default 1. */
  xFor?: number;
  /** X-Forwarded-Proto → wsgi.url_scheme. Default 1. */
  xProto?: number;
  /** X-Forwarded-Host → HTTP_HOST, SERVER_NAME, SERVER_PORT. Default 0. */
  xHost?: number;
  /** X-Forwarded-Port → SERVER_PORT and the port in HTTP_HOST. Default 0. */
  xPort?: number;
  /** X-Forwarded-Prefix → SCRIPT_NAME. Default 0. */
  xPrefix?: number;
  /** Trust by address: honour the headers only from these peers (IP addresses, or '*'
   * for any peer), and count the hops per request. A Unix socket peer is trusted. */
  trustedProxies?: readonly string[];
  /** Read RFC 7239 `Forwarded` (for, proto, host) when a request has no X-Forwarded-For,
   * -Proto or -Host. Default false: enable it only if your proxies write Forwarded, since
   * a proxy that does not passes a client's own Forwarded through. */
  forwarded?: boolean;
}

const COUNTS = ['xFor', 'xProto', 'xHost', 'xPort', 'xPrefix'] as const;
const KNOWN = new Set<string>([...COUNTS, 'trustedProxies', 'forwarded']);

interface Plan {
  xFor: number; xProto: number; xHost: number; xPort: number; xPrefix: number;
  forwarded: boolean;
  trust: ((address: string) => boolean) | undefined;
}

function plan(options: ProxyFixOptions): Plan {
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new InvalidOptionError(`proxyFix: unknown option ${JSON.stringify(key)}`);
  }
  const p: Plan = { xFor: 1, xProto: 1, xHost: 0, xPort: 0, xPrefix: 0, forwarded: options.forwarded === true, trust: undefined };
  for (const key of COUNTS) {
    const n = options[key] ?? p[key];
    if (!Number.isInteger(n) || n < 0) throw new InvalidOptionError(`proxyFix: ${key} must be a non-negative integer, got ${String(n)}`);
    p[key] = n;
  }
  if (options.forwarded !== undefined && typeof options.forwarded !== 'boolean') throw new InvalidOptionError('proxyFix: forwarded must be a boolean');
  if (options.trustedProxies !== undefined) {
    if (!Array.isArray(options.trustedProxies)) throw new InvalidOptionError('proxyFix: trustedProxies must be an array of IP addresses');
    for (const a of options.trustedProxies) {
      if (typeof a !== 'string' || !isProxyEntry(a)) throw new InvalidOptionError(`proxyFix: trustedProxies: ${JSON.stringify(a)} is not an IP address or '*'`);
    }
    p.trust = createTrust(options.trustedProxies);
  }
  return p;
}

export function proxyFix(app: App, options: ProxyFixOptions = {}): App {
  const p = plan(options);
  return function proxyFixed(environ: Environ, startResponse: StartResponse) {
    applyProxyHeaders(environ, p);
    return app(environ, startResponse);
  };
}

/** "a, b" → ['a', 'b']; an absent header → undefined. */
const split = (header: unknown): string[] | undefined => (typeof header === 'string' ? header.split(',').map((v) => v.trim()) : undefined);

/** Rewrite environ in place from the forwarding headers that p trusts. */
function applyProxyHeaders(environ: Environ, p: Plan): void {
  // Headers first: most requests carry none, and REMOTE_ADDR costs more on some engines.
  let fors = p.xFor > 0 ? split(environ.HTTP_X_FORWARDED_FOR) : undefined;
  let protos = p.xProto > 0 ? split(environ.HTTP_X_FORWARDED_PROTO) : undefined;
  let hosts = p.xHost > 0 ? split(environ.HTTP_X_FORWARDED_HOST) : undefined;
  const ports = p.xPort > 0 ? split(environ.HTTP_X_FORWARDED_PORT) : undefined;
  const prefixes = p.xPrefix > 0 ? split(environ.HTTP_X_FORWARDED_PREFIX) : undefined;
  if (p.forwarded && fors === undefined && protos === undefined && hosts === undefined) {
    const forwarded = environ.HTTP_FORWARDED;
    if (typeof forwarded === 'string') {
      const hops = parseForwarded(forwarded);
      if (p.xFor > 0) fors = hops.map((h) => h.for ?? '');
      if (p.xProto > 0) protos = hops.map((h) => h.proto ?? '');
      if (p.xHost > 0) hosts = hops.map((h) => h.host ?? '');
    }
  }
  if (fors === undefined && protos === undefined && hosts === undefined && ports === undefined && prefixes === undefined) return;

  // By address: how many hops from us the client is (1: the peer's own header values).
  let hops = 0;
  if (p.trust !== undefined) {
    const peer = environ.REMOTE_ADDR;
    if (peer !== '' && !p.trust(peer)) return;
    hops = 1;
    if (fors !== undefined) {
      let i = fors.length - 1;
      while (i > 0 && p.trust(nodeAddress(fors[i]!))) i--;
      hops = fors.length - i;
    }
  }
  /** The value the outermost trusted proxy wrote in `list`. */
  const pick = (list: string[] | undefined, count: number): string | undefined => {
    if (list === undefined) return undefined;
    const value = hops > 0 ? list[list.length - Math.min(hops, list.length)] : list.length >= count ? list[list.length - count] : undefined;
    return value === '' ? undefined : value;
  };

  const env = environ as unknown as Record<string, unknown>;
  let orig: Record<string, unknown> | undefined;
  const set = (key: string, value: string): void => {
    orig ??= {};
    if (!(key in orig)) orig[key] = env[key];
    env[key] = value;
  };
  const forValue = pick(fors, p.xFor);
  const address = forValue === undefined ? undefined : validAddress(forValue);
  if (address !== undefined) {
    set('REMOTE_ADDR', address);
    set('REMOTE_PORT', ''); // the peer's port, not the client's
  }
  const protoValue = pick(protos, p.xProto);
  const scheme = protoValue === undefined ? undefined : validScheme(protoValue);
  if (scheme !== undefined) set('wsgi.url_scheme', scheme);
  const hostValue = pick(hosts, p.xHost);
  const host = hostValue === undefined ? undefined : validHost(hostValue);
  if (host !== undefined) {
    const { name, port } = splitAuthority(host);
    set('HTTP_HOST', host);
    set('SERVER_NAME', name);
    set('SERVER_PORT', port || (environ['wsgi.url_scheme'] === 'https' ? '443' : '80'));
  }
  const portValue = pick(ports, p.xPort);
  const port = portValue === undefined ? undefined : validPort(portValue);
  if (port !== undefined) {
    const name = typeof environ.HTTP_HOST === 'string' ? splitAuthority(environ.HTTP_HOST).name : environ.SERVER_NAME;
    set('HTTP_HOST', `${name}:${port}`);
    set('SERVER_PORT', port);
  }
  const prefix = pick(prefixes, p.xPrefix);
  if (prefix !== undefined && prefix.startsWith('/')) set('SCRIPT_NAME', prefix.replace(/\/+$/, ''));
  if (orig !== undefined) env['tsgi.proxy_fix.orig'] = orig;
}
