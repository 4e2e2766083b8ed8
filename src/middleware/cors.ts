// cors(app, options): Cross-Origin Resource Sharing (WHATWG Fetch §3.2). Preflight
// requests (OPTIONS with Origin and Access-Control-Request-Method) are answered here with
// 204; other requests from an allowed origin get Access-Control-Allow-Origin added.

import type { App, Environ, StartResponse } from '../types.js';
import { appendToken, editHeaders } from './start-response.js';

export interface CorsOptions {
  /** "*" (default), one origin, a list, or a predicate. */
  origin?: '*' | string | string[] | ((origin: string) => boolean);
  /** Default GET, HEAD, POST, PUT, PATCH, DELETE. */
  methods?: string[];
  /** Request headers allowed; default: whatever the preflight asks for. */
  allowHeaders?: string[];
  exposeHeaders?: string[];
  /** Access-Control-Allow-Credentials: true (never with origin "*": the origin is echoed). */
  credentials?: boolean;
  /** Access-Control-Max-Age in seconds for preflight results. */
  maxAge?: number;
}

export function cors(app: App, options: CorsOptions = {}): App {
  const methods = (options.methods ?? ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).join(', ');
  const allowed = (origin: string): boolean => {
    const rule = options.origin ?? '*';
    if (typeof rule === 'function') return rule(origin);
    if (Array.isArray(rule)) return rule.includes(origin);
    return rule === '*' || rule === origin;
  };
  // With credentials a wildcard is not allowed (Fetch §3.2.5): echo the origin instead.
  const wildcard = (options.origin ?? '*') === '*' && !options.credentials;

  const corsHeaders = (origin: string): [string, string][] => {
    const out: [string, string][] = [['Access-Control-Allow-Origin', wildcard ? '*' : origin]];
    if (options.credentials) out.push(['Access-Control-Allow-Credentials', 'true']);
    return out;
  };

  return function withCors(environ: Environ, startResponse: StartResponse) {
    const origin = environ.HTTP_ORIGIN;
    if (typeof origin !== 'string' || !allowed(origin)) {
      // The answer depends on Origin whenever it is not "*": tell caches (Fetch §3.2.5).
      if (wildcard) return app(environ, startResponse);
      return app(environ, editHeaders(startResponse, (headers) => { appendToken(headers, 'Vary', 'Origin'); return headers; }));
    }
    const requestedMethod = environ.HTTP_ACCESS_CONTROL_REQUEST_METHOD;
    if (environ.REQUEST_METHOD === 'OPTIONS' && typeof requestedMethod === 'string') {
      const headers = corsHeaders(origin);
      headers.push(['Access-Control-Allow-Methods', methods]);
      const requestedHeaders = environ.HTTP_ACCESS_CONTROL_REQUEST_HEADERS;
      const allowHeaders = options.allowHeaders?.join(', ') ?? (typeof requestedHeaders === 'string' ? requestedHeaders : undefined);
      if (allowHeaders) headers.push(['Access-Control-Allow-Headers', allowHeaders]);
      if (options.maxAge !== undefined) headers.push(['Access-Control-Max-Age', String(options.maxAge)]);
      if (!wildcard) headers.push(['Vary', 'Origin']);
      startResponse('204 No Content', headers);
      return [];
    }
    return app(environ, editHeaders(startResponse, (headers) => {
      const out = headers.filter(([k]) => !k.toLowerCase().startsWith('access-control-allow-'));
      out.push(...corsHeaders(origin));
      if (options.exposeHeaders?.length) out.push(['Access-Control-Expose-Headers', options.exposeHeaders.join(', ')]);
      if (!wildcard) appendToken(out, 'Vary', 'Origin');
      return out;
    }));
  };
}
