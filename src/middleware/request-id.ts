// requestId(app): give each request an id, in environ['tsgi.request_id'] and the
// X-Request-Id response header. A well-formed incoming X-Request-Id (from a proxy that
// already assigned one) is kept unless trustIncoming is false.

import { randomUUID } from 'node:crypto';
import type { App, Environ, StartResponse } from '../types.js';
import { editHeaders } from './start-response.js';

export interface RequestIdOptions {
  /** Response header name. Default "X-Request-Id". */
  header?: string;
  /** Reuse a valid incoming id. Default true. */
  trustIncoming?: boolean;
  /** Id source. Default crypto.randomUUID. */
  generate?: () => string;
}

const SAFE_ID = /^[A-Za-z0-9._:@\-]{1,128}$/;

export function requestId(app: App, options: RequestIdOptions = {}): App {
  const header = options.header ?? 'X-Request-Id';
  const environKey = 'HTTP_' + header.toUpperCase().replace(/-/g, '_');
  const generate = options.generate ?? randomUUID;
  return function withRequestId(environ: Environ, startResponse: StartResponse) {
    const incoming = environ[environKey];
    const id = options.trustIncoming !== false && typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : generate();
    environ['tsgi.request_id'] = id;
    return app(environ, editHeaders(startResponse, (headers) => {
      const lower = header.toLowerCase();
      return [...headers.filter(([k]) => k.toLowerCase() !== lower), [header, id]];
    }));
  };
}
