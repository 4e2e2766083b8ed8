// Before a hono-* row is timed, its answer is checked like every bench row's
// (bench/lib/check.ts): status, Content-Type and the exact JSON or text.

import { HELLO_BODY } from '../scenario-data.js';
import { HONO_JSON_ANSWER, HONO_ORDER, HONO_ORDER_ANSWER, HONO_PARAMS_ANSWER } from './data.js';

export type HonoCheckKind = 'hono-json' | 'hono-plaintext' | 'hono-params' | 'hono-post';
export const HONO_CHECKS: readonly HonoCheckKind[] = ['hono-json', 'hono-plaintext', 'hono-params', 'hono-post'];

interface Want { status: number; type: string; body: unknown }

function want(kind: HonoCheckKind): Want {
  switch (kind) {
    case 'hono-json': return { status: 200, type: 'application/json', body: HONO_JSON_ANSWER };
    case 'hono-plaintext': return { status: 200, type: 'text/plain; charset=UTF-8', body: HELLO_BODY };
    case 'hono-params': return { status: 200, type: 'application/json', body: HONO_PARAMS_ANSWER };
    case 'hono-post': return { status: 201, type: 'application/json', body: HONO_ORDER_ANSWER };
  }
}

export async function checkHono(kind: HonoCheckKind, port: number, path: string): Promise<void> {
  const post = kind === 'hono-post';
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: post ? 'POST' : 'GET',
    headers: post ? { 'content-type': 'application/json' } : {},
    body: post ? JSON.stringify(HONO_ORDER) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const w = want(kind);
  const text = await res.text();
  if (res.status !== w.status) throw new Error(`${kind}: status ${res.status}, expected ${w.status} (${text.slice(0, 80)})`);
  // Media type parameters may be written with or without a space (RFC 9110 §5.6.6).
  const type = (res.headers.get('content-type') ?? '').replace(/\s*;\s*/g, '; ');
  if (type.toLowerCase() !== w.type.toLowerCase()) throw new Error(`${kind}: Content-Type ${JSON.stringify(type)}, expected ${JSON.stringify(w.type)}`);
  const got = typeof w.body === 'string' ? text : JSON.stringify(JSON.parse(text));
  const expected = typeof w.body === 'string' ? w.body : JSON.stringify(w.body);
  if (got !== expected) throw new Error(`${kind}: body ${JSON.stringify(text.slice(0, 120))}, expected ${expected}`);
  if (res.headers.get('content-length') !== String(Buffer.byteLength(text))) {
    throw new Error(`${kind}: Content-Length ${res.headers.get('content-length')}, expected ${Buffer.byteLength(text)}`);
  }
}
