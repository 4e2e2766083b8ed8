// Baseline: the same work done by hand on node:http, as its users write it.

import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  FILE_PATH_ENV, HEADERS_ENVIRON_KEYS, HELLO_BODY, STREAM_CHUNK_COUNT, streamChunk,
} from '../scenario-data.js';
import type { AppKind } from './app-kind.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const hello: Handler = (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(HELLO_BODY);
};

const headers: Handler = (req, res) => {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const values: Record<string, string> = {
    REQUEST_METHOD: req.method ?? '',
    PATH_INFO: q === -1 ? url : url.slice(0, q),
    QUERY_STRING: q === -1 ? '' : url.slice(q + 1),
    HTTP_HOST: req.headers.host ?? '',
    HTTP_USER_AGENT: req.headers['user-agent'] ?? '',
    HTTP_ACCEPT_LANGUAGE: req.headers['accept-language'] ?? '',
  };
  const out: Record<string, string> = {};
  for (const key of HEADERS_ENVIRON_KEYS) out[key] = values[key]!;
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(out));
};

const upload: Handler = (req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (chunk: Buffer) => parts.push(chunk));
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(String(Buffer.concat(parts).length));
  });
};

const STREAM_CHUNKS = Array.from({ length: STREAM_CHUNK_COUNT }, (_, i) => streamChunk(i));
const stream: Handler = (_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
  for (const chunk of STREAM_CHUNKS) res.write(chunk);
  res.end();
};

const asyncHello: Handler = async (_req, res) => {
  await Promise.resolve();
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(HELLO_BODY);
};

function fileHandler(): Handler {
  const path = process.env[FILE_PATH_ENV];
  if (!path) throw new Error(`${FILE_PATH_ENV} is not set`);
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': statSync(path).size });
    createReadStream(path, { highWaterMark: 64 * 1024 }).pipe(res);
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

/** Listen on 127.0.0.1 and a free port; resolves with the port. `keepAliveSeconds`
 * matches what the tsgi rows are given, so idle connections live as long. With `tls`
 * (PEM text) it is node:https. */
export function serveNodeRaw(kind: AppKind, keepAliveSeconds: number, tls?: { cert: string; key: string }): Promise<number> {
  const server = tls ? createHttpsServer(tls, handlerFor(kind)) : createServer(handlerFor(kind));
  server.keepAliveTimeout = keepAliveSeconds * 1000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
