// The syntax proxyFix reads: RFC 7239 Forwarded elements, node addresses as proxies write
// them ("1.2.3.4:80", "[::1]:80", "::ffff:1.2.3.4"), and the trusted-peer list. What a
// value must look like to be believed is decided here too: an address only if node:net's
// isIP accepts it, a scheme only http or https, a port only 1–65535, a host only URI
// host syntax. Anything else leaves the environ as the server set it, so a forged or
// mangled header can neither spoof nor corrupt REMOTE_ADDR (an access log line included).

import { isIP } from 'node:net';

/** One proxy hop: the address it received from, and the scheme and host it was asked for. */
export interface ForwardedHop {
  for?: string;
  proto?: string;
  host?: string;
}

/** Strip brackets and the IPv4-mapped IPv6 prefix ("::ffff:1.2.3.4") so addresses compare. */
export function normalizeAddress(address: string): string {
  let a = address.trim();
  if (a.startsWith('[')) {
    const close = a.indexOf(']');
    a = a.slice(1, close === -1 ? undefined : close);
  }
  if (a.length > 7 && a.slice(0, 7).toLowerCase() === '::ffff:' && isIP(a.slice(7)) === 4) a = a.slice(7);
  return a;
}

/** Address part of a node (RFC 7239 §6): "1.2.3.4:80" → "1.2.3.4", "[::1]:80" → "::1";
 * "unknown" and "_hidden" stay as they are (and are not addresses). */
export function nodeAddress(node: string): string {
  const n = unquote(node.trim());
  if (n.startsWith('[')) return normalizeAddress(n);
  const colon = n.indexOf(':');
  if (colon !== -1 && n.indexOf(':', colon + 1) === -1) return n.slice(0, colon);
  return normalizeAddress(n);
}

/** The client address a hop names, if it is an IP address (node:net isIP), else undefined. */
export function validAddress(node: string): string | undefined {
  const address = nodeAddress(node);
  return isIP(address) === 0 ? undefined : address;
}

/** RFC 3986 §3.2.2–3.2.3: host (reg-name or IP literal) with an optional port. No spaces,
 * quotes, slashes or control bytes can reach HTTP_HOST through a forwarded host. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::\d{0,5})?$/;
export const validHost = (host: string): string | undefined => (HOST.test(host) ? host : undefined);

/** RFC 9110 §4.2: the schemes a proxy can have been asked for. */
export function validScheme(proto: string): 'http' | 'https' | undefined {
  const p = proto.toLowerCase();
  return p === 'http' || p === 'https' ? p : undefined;
}

/** A TCP port: decimal digits, 1–65535 (RFC 793; port 0 is not a destination). */
export function validPort(port: string): string | undefined {
  if (!/^\d{1,5}$/.test(port)) return undefined;
  const n = Number(port);
  return n >= 1 && n <= 65535 ? String(n) : undefined;
}

const unquote = (v: string): string => (v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v);

/** RFC 7239 §4: Forwarded = 1#forwarded-element; an element is pairs joined by ';'. */
export function parseForwarded(value: string): ForwardedHop[] {
  const hops: ForwardedHop[] = [];
  for (const element of value.split(',')) {
    const hop: ForwardedHop = {};
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      const key = pair.slice(0, eq).trim().toLowerCase();
      const val = unquote(pair.slice(eq + 1).trim());
      if (key === 'for') hop.for = val;
      else if (key === 'proto') hop.proto = val;
      else if (key === 'host') hop.host = val;
    }
    hops.push(hop);
  }
  return hops;
}

/** What a trusted-proxy list may hold: IP addresses (any spelling normalizeAddress
 * accepts) or '*'. */
export const isProxyEntry = (entry: string): boolean => entry === '*' || isIP(normalizeAddress(entry)) !== 0;

/** Whether an address is one of the trusted proxies: listed, or '*' (everyone). */
export function createTrust(allowed: readonly string[]): (address: string) => boolean {
  if (allowed.includes('*')) return () => true;
  const set = new Set(allowed.map(normalizeAddress));
  return (address) => set.has(normalizeAddress(address));
}
