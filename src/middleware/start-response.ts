// Middleware that only edits response headers wraps start_response: the app's call
// (status, headers, excInfo) passes through with the headers transformed, and write()
// is the server's own (PEP 3333 "Middleware: Components that Play Both Sides").

import type { StartResponse } from '../types.js';

export type HeaderEdit = (headers: [string, string][], status: string) => [string, string][];

export function editHeaders(startResponse: StartResponse, edit: HeaderEdit): StartResponse {
  return (status, headers, excInfo) => startResponse(status, edit(headers.map(([k, v]) => [k, v]), status), excInfo);
}

/** A complete small response (404, 405, …) from middleware itself. */
export function plainResponse(startResponse: StartResponse, status: string, text: string, extra: [string, string][] = []): [Uint8Array] {
  const body = Buffer.from(text + '\n', 'utf8');
  startResponse(status, [['Content-Type', 'text/plain; charset=utf-8'], ['Content-Length', String(body.length)], ...extra]);
  return [body];
}

/** Add `token` to a comma-separated list header such as Vary, unless it is there. */
export function appendToken(headers: [string, string][], name: string, token: string): void {
  const lower = name.toLowerCase();
  const existing = headers.find(([k]) => k.toLowerCase() === lower);
  if (!existing) { headers.push([name, token]); return; }
  const tokens = existing[1].split(',').map((t) => t.trim().toLowerCase());
  if (!tokens.includes(token.toLowerCase()) && !tokens.includes('*')) existing[1] = `${existing[1]}, ${token}`;
}
