// proxyFix(app, { xFor: 1, … }): trust X-Forwarded-* from a known number of proxies, like
// werkzeug's ProxyFix. Each option is how many proxies in front of the app set that
// header; the value used is the one the outermost trusted proxy saw (the Nth from the
// right), so a client cannot forge it by sending its own header. 0 ignores the header.
// The original values are kept in environ['tsgi.proxy_fix.orig'].

import type { App, Environ, StartResponse } from '../types.js';
import { splitAuthority } from '../request-target.js';

export interface ProxyFixOptions {
  /** X-Forwarded-For → REMOTE_ADDR. Default 1. */
  xFor?: number;
  /** X-Forwarded-Proto → wsgi.url_scheme. Default 1. */
  xProto?: number;
  /** X-Forwarded-Host → HTTP_HOST, SERVER_NAME, SERVER_PORT. Default 0. */
  xHost?: number;
  /** X-Forwarded-Port → SERVER_PORT and the port in HTTP_HOST. Default 0. */
  xPort?: number;
  /** X-Forwarded-Prefix → SCRIPT_NAME. Default 0. */
  xPrefix?: number;
}

/** The value set by the `trusted`-th proxy from the right, or undefined if fewer values. */
function trustedValue(header: unknown, trusted: number): string | undefined {
  if (trusted <= 0 || typeof header !== 'string') return undefined;
  const values = header.split(',').map((v) => v.trim());
  if (values.length < trusted) return undefined;
  const value = values[values.length - trusted]!;
  return value === '' ? undefined : value;
}

export function proxyFix(app: App, options: ProxyFixOptions = {}): App {
  const trust = { xFor: 1, xProto: 1, xHost: 0, xPort: 0, xPrefix: 0, ...options };
  for (const [key, n] of Object.entries(trust)) {
    if (!Number.isInteger(n) || n < 0) throw new TypeError(`proxyFix: ${key} must be a non-negative integer, got ${n}`);
  }
  return function proxyFixed(environ: Environ, startResponse: StartResponse) {
    environ['tsgi.proxy_fix.orig'] = {
      REMOTE_ADDR: environ.REMOTE_ADDR,
      'wsgi.url_scheme': environ['wsgi.url_scheme'],
      HTTP_HOST: environ.HTTP_HOST,
      SERVER_NAME: environ.SERVER_NAME,
      SERVER_PORT: environ.SERVER_PORT,
      SCRIPT_NAME: environ.SCRIPT_NAME,
    };
    const forwardedFor = trustedValue(environ.HTTP_X_FORWARDED_FOR, trust.xFor);
    if (forwardedFor !== undefined) environ.REMOTE_ADDR = forwardedFor;
    const proto = trustedValue(environ.HTTP_X_FORWARDED_PROTO, trust.xProto)?.toLowerCase();
    if (proto === 'http' || proto === 'https') environ['wsgi.url_scheme'] = proto;
    const host = trustedValue(environ.HTTP_X_FORWARDED_HOST, trust.xHost);
    if (host !== undefined) {
      const { name, port } = splitAuthority(host);
      environ.HTTP_HOST = host;
      environ.SERVER_NAME = name;
      environ.SERVER_PORT = port || (environ['wsgi.url_scheme'] === 'https' ? '443' : '80');
    }
    const port = trustedValue(environ.HTTP_X_FORWARDED_PORT, trust.xPort);
    if (port !== undefined && /^\d{1,5}$/.test(port)) {
      const currentHost = typeof environ.HTTP_HOST === 'string' ? splitAuthority(environ.HTTP_HOST).name : String(environ.SERVER_NAME);
      environ.HTTP_HOST = `${currentHost}:${port}`;
      environ.SERVER_PORT = port;
    }
    const prefix = trustedValue(environ.HTTP_X_FORWARDED_PREFIX, trust.xPrefix);
    if (prefix !== undefined) environ.SCRIPT_NAME = prefix.replace(/\/+$/, '');
    return app(environ, startResponse);
  };
}
