// Shared helpers for the toolkit tests: servers on every engine that loads here (port 0,
// always closed), raw HTTP requests that keep the path exactly as written, and small
// apps.

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { App, EngineName, Server, ServeOptions } from '../../src/types.js';
import { engines, start } from '../helpers/server.js';

export { engines };

/** A server for toolkit tests: quiet logger, no validator (the toolkit tests check
 * the validator itself and run middleware whose misuse cases it would intercept). */
export async function serve(app: App, engine: EngineName, options: ServeOptions = {}): Promise<Server> {
  return start(app, engine, { logger: { error: () => {} }, ...options }, { validate: false });
}

export interface RawResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request with node:http; `path` goes on the request line byte for byte. */
export function rawRequest(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: Uint8Array | string): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** An app that answers with the environ keys it was asked for, as JSON. */
export function echoEnviron(...keys: string[]): App {
  return (environ, startResponse) => {
    const out: Record<string, unknown> = {};
    for (const key of keys) out[key] = environ[key];
    startResponse('200 OK', [['Content-Type', 'application/json']]);
    return [JSON.stringify(out)];
  };
}

/** Resolves when `check` holds, polling the event loop every 5 ms (no fixed sleeps). */
export async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
