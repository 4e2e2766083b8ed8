// compress(app): gzip or Brotli for compressible responses, streamed through node:zlib.
// The coding is negotiated from Accept-Encoding q-values (RFC 9110 §12.5.3); bodies
// under `threshold` bytes, already-encoded responses (Content-Encoding), partial content,
// HEAD, 204/304 and Cache-Control: no-transform are passed through. Responses whose type
// is compressible always get Vary: Accept-Encoding (RFC 9110 §12.5.5), so caches keep
// the variants apart.

import { constants, createBrotliCompress, createGzip, type BrotliCompress, type Gzip } from 'node:zlib';
import { BodyPipe } from '../engines/memory-body.js';
import { createMemoryServer } from '../engines/memory-server.js';
import type { MemoryExchange } from '../engines/memory.js';
import { createErrorStream } from '../error-stream.js';
import { FileWrapper } from '../file-wrapper.js';
import type { App, Body, Environ, StartResponse } from '../types.js';
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

  return function compressed(environ: Environ, startResponse: StartResponse): Promise<Body> {
    return new Promise<Body>((resolve, reject) => {
      const pipe = new BodyPipe();
      let decided = false;
      let status = '';
      let headers: [string, string][] = [];
      let coding: Coding | undefined;
      /** Compress unless the body ends below the threshold (a synchronous body of
       * unknown length: its first bytes are looked at, nothing waits). */
      let peeking = false;
      let streaming = false;

      let exchange: MemoryExchange | undefined;
      // The client left early, or the outer server closes the body: the inner exchange's
      // client leaves too, so the app's close() runs once.
      const release = (): void => exchange?.leave();
      /** Passing through, the body not handed out yet: a file body may still come. */
      let passing = false;
      const passThrough = (length: number): void => {
        decided = true;
        passing = true;
        startResponse(status, length >= 0 ? [...headers, ['Content-Length', String(length)]] : headers);
      };
      /** The body of a pass-through, on the first event after the head. */
      const handOut = (): void => {
        if (!passing) return;
        passing = false;
        resolve(withClose(pipe[Symbol.asyncIterator](), release));
      };
      const startCompressing = (): void => {
        decided = true;
        const edited = headers.filter(([k]) => k.toLowerCase() !== 'content-length');
        edited.push(['Content-Encoding', coding!]);
        // RFC 9110 §8.8.3: the encoded bytes differ, so a strong validator becomes weak.
        for (const pair of edited) if (pair[0].toLowerCase() === 'etag' && !pair[1].startsWith('W/')) pair[1] = 'W/' + pair[1];
        startResponse(status, edited);
        const stream = coding === 'br'
          ? createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: options.brotliQuality ?? 4 } })
          : createGzip({ level: options.gzipLevel ?? 6 });
        resolve(withClose(encode(stream, pipe), () => { stream.destroy(); release(); }));
      };
      /** Once the head is decided, the outer response owns the inner one's end. */
      const failed = (error: unknown): void => {
        if (decided) pipe.fail(error);
        else { decided = true; reject(error); }
      };
      const afterData = (): void => {
        if (!peeking || decided) return;
        if (pipe.done && pipe.size < threshold) {
          passThrough(pipe.size);
          return handOut();
        }
        if (pipe.size >= threshold) startCompressing();
      };

      // The app runs behind the servers' own gateway, seeing this request's environ; its
      // failures reach the server outside (which answers 500 or closes), not a second log.
      const inner = createMemoryServer((_environ, innerStart) => noteBody(app(environ, innerStart), (async) => { streaming = async; }), {
        serverHeader: undefined,
        errors: environ['wsgi.errors'] ?? createErrorStream(undefined),
        onFailure: failed,
      });
      exchange = inner.open({ method: environ.REQUEST_METHOD, target: '/', headers: ['Host', 'compress'] }, {
        continued: () => {},
        head: (head) => {
          if (decided) return; // the 500 after a failure already passed outside
          status = head.status;
          headers = head.appHeaders;
          const get = (name: string): string | undefined => headers.find(([k]) => k.toLowerCase() === name)?.[1];
          const eligible = filter(get('content-type')) && get('content-encoding') === undefined
            && ![204, 206, 304].includes(head.code) && !/\bno-transform\b/i.test(get('cache-control') ?? '');
          if (eligible) appendToken(headers, 'Vary', 'Accept-Encoding');
          coding = eligible && !head.noBody ? negotiateEncoding(environ.HTTP_ACCEPT_ENCODING, offered) : undefined;
          if (!coding || (head.contentLength >= 0 && head.contentLength < threshold)) return passThrough(head.contentLength);
          // An async body is a stream whose next chunk may be far off (server-sent
          // events): compressed at once rather than held for `threshold` bytes.
          if (head.contentLength >= 0 || streaming) return startCompressing();
          peeking = true;
        },
        data: (chunk) => {
          handOut();
          const more = pipe.push(chunk);
          afterData();
          return more;
        },
        end: () => {
          handOut();
          pipe.end();
          afterData();
        },
        cut: () => { handOut(); failed(new Error('the response ended before its Content-Length (see wsgi.errors)')); },
        // Nothing read yet from a file body being passed through: the server outside can
        // still sendfile it.
        file: (fd, offset, length, done) => {
          if (!passing) return false;
          passing = false;
          resolve(new FileWrapper({ fd, close: () => done() }, undefined, { offset, length }));
          return true;
        },
      });
      pipe.exchange = exchange;
    });
  };
}

/** Tell `onBody` whether the app's body is asynchronous once it is known. */
function noteBody(result: Body | Promise<Body>, onBody: (async: boolean) => void): Body | Promise<Body> {
  const note = (body: Body): Body => {
    onBody(isAsyncOnly(body));
    return body;
  };
  if (typeof (result as Promise<Body>)?.then === 'function') return (result as Promise<Body>).then(note);
  return note(result as Body);
}

const isAsyncOnly = (body: unknown): boolean =>
  typeof body === 'object' && body !== null && !(body instanceof FileWrapper)
  && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  && typeof (body as Iterable<unknown>)[Symbol.iterator] !== 'function';

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
async function* encode(stream: Gzip | BrotliCompress, source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
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
  for await (const chunk of source) {
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
