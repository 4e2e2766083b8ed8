// --forwarded-allow-ips: behind a reverse proxy, take the client's address, scheme and
// host from Forwarded (RFC 7239) or X-Forwarded-For / -Proto / -Host, but only when the
// peer is a trusted proxy. Anyone else could forge them, so from untrusted peers they
// are ignored (left in environ as plain HTTP_ headers, as gunicorn does).
//
// The client is the rightmost address in the chain that is not itself a trusted proxy
// (each proxy appends the address it received from), so a client cannot pose as another
// by sending its own X-Forwarded-For. Unix socket peers (no REMOTE_ADDR) are trusted, as
// in gunicorn: only local processes can connect.

import { isIP } from 'node:net';
import type { App, Environ } from '../types.js';

export interface ForwardedHop {
  for?: string;
  proto?: string;
  host?: string;
}

/** Strip IPv4-mapped IPv6 ("::ffff:1.2.3.4") and brackets so addresses compare. */
export function normalizeAddress(address: string): string {
  let a = address.trim();
  if (a.startsWith('[')) a = a.slice(1, a.indexOf(']') === -1 ? undefined : a.indexOf(']'));
  if (a.toLowerCase().startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  return a;
}

/** Address part of a node (RFC 7239 §6): "1.2.3.4:80", "[::1]:80", "unknown", "_hidden". */
function nodeAddress(node: string): string {
  const n = node.trim().replace(/^"|"$/g, '');
  if (n.startsWith('[')) return normalizeAddress(n);
  const colon = n.indexOf(':');
  if (colon !== -1 && n.indexOf(':', colon + 1) === -1) return n.slice(0, colon);
  return normalizeAddress(n);
}

/** RFC 7239 §4: Forwarded = 1#forwarded-element; element = pairs joined by ';'. */
export function parseForwarded(value: string): ForwardedHop[] {
  const hops: ForwardedHop[] = [];
  for (const element of value.split(',')) {
    const hop: ForwardedHop = {};
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      const key = pair.slice(0, eq).trim().toLowerCase();
      const val = pair.slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (key === 'for') hop.for = nodeAddress(val);
      else if (key === 'proto') hop.proto = val.toLowerCase();
      else if (key === 'host') hop.host = val;
    }
    hops.push(hop);
  }
  return hops;
}

function hopsFromXForwarded(xff: string | undefined, proto: string | undefined, host: string | undefined): ForwardedHop[] {
  const fors = xff === undefined ? [] : xff.split(',').map(nodeAddress);
  const protos = proto === undefined ? [] : proto.split(',').map((p) => p.trim().toLowerCase());
  const hosts = host === undefined ? [] : host.split(',').map((h) => h.trim());
  const n = Math.max(fors.length, 1);
  // Lists of equal length line up hop by hop; otherwise the last value is the one our
  // own proxy set.
  const at = (list: string[], i: number): string | undefined => (list.length === n ? list[i] : list[list.length - 1]);
  return Array.from({ length: n }, (_, i) => ({ for: fors[i], proto: at(protos, i), host: at(hosts, i) }));
}

export function createTrust(allowIps: string[]): (address: string) => boolean {
  if (allowIps.includes('*')) return () => true;
  const allowed = new Set(allowIps.map(normalizeAddress));
  return (address) => address === '' || allowed.has(normalizeAddress(address));
}

/** Rewrite environ in place from the forwarding headers of a trusted peer. */
export function applyForwarded(environ: Environ, isTrusted: (address: string) => boolean): void {
  // Headers first: most requests have none, and REMOTE_ADDR costs more on some engines.
  const forwarded = environ.HTTP_FORWARDED as string | undefined;
  const xff = environ.HTTP_X_FORWARDED_FOR as string | undefined;
  const proto = environ.HTTP_X_FORWARDED_PROTO as string | undefined;
  const host = environ.HTTP_X_FORWARDED_HOST as string | undefined;
  if (forwarded === undefined && xff === undefined && proto === undefined && host === undefined) return;
  if (!isTrusted(environ.REMOTE_ADDR)) return;
  const hops = forwarded !== undefined ? parseForwarded(forwarded) : hopsFromXForwarded(xff, proto, host);
  if (hops.length === 0) return;
  // Walk from the proxy nearest to us towards the client, while the hops are trusted.
  let i = hops.length - 1;
  while (i > 0 && hops[i]!.for !== undefined && isTrusted(hops[i]!.for!)) i--;
  const client = hops[i]!;
  if (client.for !== undefined && isIP(client.for) !== 0) {
    environ.REMOTE_ADDR = client.for;
    environ.REMOTE_PORT = '';
  }
  if (client.proto === 'http' || client.proto === 'https') environ['wsgi.url_scheme'] = client.proto;
  if (client.host) environ.HTTP_HOST = client.host;
}

export function withProxyHeaders(app: App, allowIps: string[]): App {
  const isTrusted = createTrust(allowIps);
  return (environ, startResponse) => {
    applyForwarded(environ, isTrusted);
    return app(environ, startResponse);
  };
}
