// compress(app): gzip or Brotli for compressible responses, streamed through node:zlib.
// The coding is negotiated from Accept-Encoding q-values (RFC 9110 §12.5.3); bodies
// under `threshold` bytes, already-encoded responses (Content-Encoding), partial content,
// HEAD, 204/304 and Cache-Control: no-transform are passed through. Responses whose type
// is compressible always get Vary: Accept-Encoding (RFC 9110 §12.5.5), so caches keep
// the variants apart.

import { constants, createBrotliCompress, createGzip, type BrotliCompress, type Gzip } from 'node:zlib';
import type { App, Body, Environ, StartResponse } from '../types.js';
import { driveApp, type DrivenResponse } from '../util/drive-app.js';
import { isCompressible } from './mime.js';
import { appendToken } from './start-response.js';

export type Coding = 'br' | 'gzip';

export interface CompressOptions {
  /** Smallest body worth compressing, in bytes. Default 1024. */
  threshold?: number;
  /** Codings offered, in server preference order for equal q. Default ['br', 'gzip']. */
  encodings?: Coding[];
  /** gzip level 1–9 (default 6) / Brotli quality 0–11 (default 4, fast enough to stream). */
  gzipLevel?: number;
  brotliQuality?: number;
  /** Decide by Content-Type; default: text, JSON, JavaScript, XML, SVG, wasm. */
  filter?: (contentType: string | undefined) => boolean;
}

/** RFC 9110 §12.5.3: pick the acceptable coding with the highest q; "*" covers codings
 * not listed; q=0 refuses. Ties go to the server's order. No header: no coding. */
export function negotiateEncoding(header: string | undefined, offered: Coding[]): Coding | undefined {
  if (!header) return undefined;
  const q = new Map<string, number>();
  for (const item of header.split(',')) {
    const [coding = '', ...params] = item.split(';').map((s) => s.trim().toLowerCase());
    if (!coding) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const value = qParam ? Number(qParam.slice(2)) : 1;
    q.set(coding, Number.isFinite(value) ? value : 0);
  }
  let best: Coding | undefined;
  let bestQ = 0;
  for (const coding of offered) {
    const value = q.get(coding) ?? (coding === 'gzip' ? q.get('x-gzip') : undefined) ?? q.get('*') ?? 0;
    if (value > bestQ) { best = coding; bestQ = value; }
  }
  return best;
}

export function compress(app: App, options: CompressOptions = {}): App {
  const threshold = options.threshold ?? 1024;
  const offered = options.encodings ?? ['br', 'gzip'];
  const filter = options.filter ?? isCompressible;

  return async function compressed(environ: Environ, startResponse: StartResponse): Promise<Body> {
    const response = await driveApp(app, environ);
    const headers = response.headers;
    const get = (name: string): string | undefined => headers.find(([k]) => k.toLowerCase() === name)?.[1];
    const eligible = filter(get('content-type')) && get('content-encoding') === undefined
      && ![204, 206, 304].includes(response.code) && !/\bno-transform\b/i.test(get('cache-control') ?? '');
    if (eligible) appendToken(headers, 'Vary', 'Accept-Encoding');
    const coding = eligible && environ.REQUEST_METHOD !== 'HEAD'
      ? negotiateEncoding(environ.HTTP_ACCEPT_ENCODING as string | undefined, offered) : undefined;
    if (!coding || (response.knownLength >= 0 && response.knownLength < threshold)) return passThrough(response, startResponse);

    // Unknown length of a synchronous body: look at up to `threshold` bytes before
    // deciding (nothing waits). An async body is a stream whose next chunk may be far
    // off (server-sent events): compress it at once rather than hold its first chunks.
    const buffered: Uint8Array[] = [];
    let size = 0;
    let ended = false;
    if (response.knownLength < 0 && !response.streaming) {
      for (;;) {
        const step = await response.body.next();
        if (step.done) { ended = true; break; }
        buffered.push(step.value);
        size += step.value.length;
        if (size >= threshold) break;
      }
      if (ended && size < threshold) return passThrough(response, startResponse, buffered);
    }
    const edited = headers.filter(([k]) => k.toLowerCase() !== 'content-length');
    edited.push(['Content-Encoding', coding]);
    // RFC 9110 §8.8.3: the encoded bytes differ, so a strong validator becomes weak.
    for (const pair of edited) if (pair[0].toLowerCase() === 'etag' && !pair[1].startsWith('W/')) pair[1] = 'W/' + pair[1];
    startResponse(response.status, edited);
    const stream = coding === 'br'
      ? createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: options.brotliQuality ?? 4 } })
      : createGzip({ level: options.gzipLevel ?? 6 });
    return withClose(encode(stream, buffered, response.body), () => { stream.destroy(); response.close(); });
  };
}

function passThrough(response: DrivenResponse, startResponse: StartResponse, buffered: Uint8Array[] = []): Body {
  startResponse(response.status, response.headers);
  // Nothing read yet from a file body: hand it back so the server can still sendfile it.
  if (response.file && buffered.length === 0) return response.file;
  async function* replay(): AsyncGenerator<Uint8Array> {
    yield* buffered;
    yield* response.body;
  }
  return withClose(replay(), () => response.close());
}

function withClose(iterable: AsyncGenerator<Uint8Array>, close: () => void): Body {
  let closed = false;
  return {
    [Symbol.asyncIterator]: () => iterable,
    close() {
      if (closed) return;
      closed = true;
      void iterable.return(undefined).catch(() => {});
      close();
    },
  } as AsyncIterable<Uint8Array> & { close(): void };
}

/** Feed chunks through zlib, flushing after each source chunk so a streamed response
 * reaches the client as it is produced (Z_SYNC_FLUSH / BROTLI_OPERATION_FLUSH). */
async function* encode(stream: Gzip | BrotliCompress, first: Uint8Array[], rest: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const out: Buffer[] = [];
  let failure: Error | undefined;
  stream.on('data', (chunk: Buffer) => out.push(chunk));
  stream.on('error', (error) => { failure = error; });
  const drain = (): Buffer | undefined => (out.length === 0 ? undefined : Buffer.concat(out.splice(0)));
  const push = async (chunk: Uint8Array): Promise<void> => {
    stream.write(chunk);
    await new Promise<void>((resolve) => stream.flush(() => resolve()));
    if (failure) throw failure;
  };
  async function* source(): AsyncGenerator<Uint8Array> {
    yield* first;
    yield* rest;
  }
  for await (const chunk of source()) {
    await push(chunk);
    const data = drain();
    if (data) yield data;
  }
  await new Promise<void>((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
    stream.end();
  });
  const tail = drain();
  if (tail) yield tail;
}
