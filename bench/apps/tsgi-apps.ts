// The PEP 3333 applications the tsgi rows serve, one per kind of work. They are written
// as a tsgi user would write them: no engine knowledge, only environ and start_response.

import type { App, Environ, FileWrapperFactory, InputStream } from '../../src/types.js';
import {
  FILE_PATH_ENV, HEADERS_ENVIRON_KEYS, HELLO_BODY, STREAM_CHUNK_COUNT, streamChunk,
} from '../scenario-data.js';
import type { AppKind } from './app-kind.js';

const hello: App = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [HELLO_BODY];
};

// Reads six keys: with a lazy environ only these are ever computed.
const headers: App = (environ, startResponse) => {
  const out: Record<string, unknown> = {};
  for (const key of HEADERS_ENVIRON_KEYS) out[key] = environ[key];
  const body = JSON.stringify(out);
  startResponse('200 OK', [['Content-Type', 'application/json']]);
  return [body];
};

const upload: App = (environ, startResponse) => {
  const input = environ['wsgi.input'] as InputStream;
  const length = input.read().length;
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [String(length)];
};

const STREAM_CHUNKS = Array.from({ length: STREAM_CHUNK_COUNT }, (_, i) => streamChunk(i));
const stream: App = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'application/octet-stream']]);
  return (function* chunks() {
    for (const chunk of STREAM_CHUNKS) yield chunk;
  })();
};

const asyncHello: App = async (_environ, startResponse) => {
  await Promise.resolve();
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [HELLO_BODY];
};

function fileApp(): App {
  const path = process.env[FILE_PATH_ENV];
  if (!path) throw new Error(`${FILE_PATH_ENV} is not set`);
  return (environ: Environ, startResponse) => {
    startResponse('200 OK', [['Content-Type', 'application/octet-stream']]);
    return (environ['wsgi.file_wrapper'] as FileWrapperFactory)(path);
  };
}

export function tsgiApp(kind: AppKind): App {
  switch (kind) {
    case 'hello': return hello;
    case 'headers': return headers;
    case 'upload': return upload;
    case 'stream': return stream;
    case 'async': return asyncHello;
    case 'file': return fileApp();
    case 'hono': throw new Error('the hono app is served by the hono-* servers (bench/hono/serve.ts)');
    case 'tfb': throw new Error('the TFB app is served by bench/tfb/serve.ts');
  }
}
