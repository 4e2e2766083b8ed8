// The stress workload: what the server answers (server.ts) and what the client checks
// (run.ts) are computed by the same functions, so every response is verified exactly.

import { createHash } from 'node:crypto';

export type Kind = 'hello' | 'upload' | 'chunked-upload' | 'stream' | 'pipelined';

/** How often each kind is drawn, out of 100. */
export const MIX: [Kind, number][] = [['hello', 45], ['upload', 15], ['chunked-upload', 10], ['stream', 15], ['pipelined', 15]];
/** Requests in one pipelined batch. */
export const PIPELINE_DEPTH = 8;

export const helloBody = (query: string): string => `hello ${query}`;
export const uploadAnswer = (body: Uint8Array): string => `${body.length} ${createHash('sha1').update(body).digest('hex')}`;
export const streamChunk = (i: number): string => `chunk ${i};${'s'.repeat(200 + (i % 7) * 100)}\n`;
export function streamBody(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += streamChunk(i);
  return out;
}

/** Deterministic pseudo-random numbers (xorshift32), so a run can be replayed. */
export function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

export function pick(r: () => number): Kind {
  let roll = r() * 100;
  for (const [kind, weight] of MIX) {
    if (roll < weight) return kind;
    roll -= weight;
  }
  return 'hello';
}

/** A body of `size` bytes derived from `seed` (cheap to make, different each time). */
export function uploadBytes(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
  return b;
}

/** Encode `body` as chunked, cut at pseudo-random sizes. */
export function chunked(body: Buffer, r: () => number): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length;) {
    const n = Math.min(body.length - at, 1 + Math.floor(r() * 16384));
    parts.push(Buffer.from(`${n.toString(16)}\r\n`), body.subarray(at, at + n), Buffer.from('\r\n'));
    at += n;
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}
