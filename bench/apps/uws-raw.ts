// Baseline: the same work done by hand on uWebSockets.js, as its users write it
// (corked writes, onAborted before any asynchronous step, tryEnd + onWritable for files).

import { createReadStream, statSync } from 'node:fs';
import {
  FILE_PATH_ENV, HEADERS_ENVIRON_KEYS, HELLO_BODY, STREAM_CHUNK_COUNT, streamChunk,
} from '../scenario-data.js';
import type { AppKind } from './app-kind.js';
import { loadUwsBinary, type RawUwsRequest, type RawUwsResponse } from './uws-binary.js';

type Handler = (res: RawUwsResponse, req: RawUwsRequest) => void;

const hello: Handler = (res) => {
  res.writeHeader('Content-Type', 'text/plain').end(HELLO_BODY);
};

const headers: Handler = (res, req) => {
  const values: Record<string, string> = {
    REQUEST_METHOD: req.getCaseSensitiveMethod(),
    PATH_INFO: req.getUrl(),
    QUERY_STRING: req.getQuery() ?? '',
    HTTP_HOST: req.getHeader('host'),
    HTTP_USER_AGENT: req.getHeader('user-agent'),
    HTTP_ACCEPT_LANGUAGE: req.getHeader('accept-language'),
  };
  const out: Record<string, string> = {};
  for (const key of HEADERS_ENVIRON_KEYS) out[key] = values[key]!;
  res.writeHeader('Content-Type', 'application/json').end(JSON.stringify(out));
};

const upload: Handler = (res) => {
  const parts: Buffer[] = [];
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  res.onData((chunk, isLast) => {
    parts.push(Buffer.from(chunk.slice(0)));
    if (!isLast || aborted) return;
    const body = Buffer.concat(parts);
    res.cork(() => res.writeHeader('Content-Type', 'text/plain').end(String(body.length)));
  });
};

const STREAM_CHUNKS = Array.from({ length: STREAM_CHUNK_COUNT }, (_, i) => streamChunk(i));
const stream: Handler = (res) => {
  res.writeHeader('Content-Type', 'application/octet-stream');
  for (const chunk of STREAM_CHUNKS) res.write(chunk);
  res.end();
};

const asyncHello: Handler = (res) => {
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  void (async () => {
    await Promise.resolve();
    if (!aborted) res.cork(() => res.writeHeader('Content-Type', 'text/plain').end(HELLO_BODY));
  })();
};

function fileHandler(): Handler {
  const path = process.env[FILE_PATH_ENV];
  if (!path) throw new Error(`${FILE_PATH_ENV} is not set`);
  return (res) => {
    const total = statSync(path).size;
    const file = createReadStream(path, { highWaterMark: 64 * 1024 });
    let aborted = false;
    res.onAborted(() => { aborted = true; file.destroy(); });
    res.writeHeader('Content-Type', 'application/octet-stream');
    file.on('data', (data) => {
      const chunk = data as Buffer;
      const base = res.getWriteOffset();
      let accepted = false;
      let done = false;
      res.cork(() => { [accepted, done] = res.tryEnd(chunk, total); });
      if (done || aborted) return;
      if (accepted) return;
      file.pause();
      res.onWritable((offset) => {
        const [ok, finished] = res.tryEnd(chunk.subarray(offset - base), total);
        if (ok && !finished) file.resume();
        return ok;
      });
    });
  };
}

function handlerFor(kind: AppKind): Handler {
  switch (kind) {
    case 'hello': return hello;
    case 'headers': return headers;
    case 'upload': return upload;
    case 'stream': return stream;
    case 'async': return asyncHello;
    case 'file': return fileHandler();
    case 'hono': throw new Error('the hono app is served by the hono-* servers (bench/hono/serve.ts)');
    case 'tfb': throw new Error('the TFB app is served by bench/tfb/serve.ts');
  }
}

/** Listen on 127.0.0.1 and a free port (SSLApp when `tls` names PEM files); resolves with the port. */
export function serveUwsRaw(kind: AppKind, tls?: { certFile: string; keyFile: string }): Promise<number> {
  const uws = loadUwsBinary();
  const app = (tls ? uws.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile }) : uws.App()).any('/*', handlerFor(kind));
  return new Promise((resolve, reject) => {
    app.listen('127.0.0.1', 0, (socket) => {
      if (!socket) reject(new Error('uws-raw: cannot listen'));
      else resolve(uws.us_socket_local_port(socket));
    });
  });
}
