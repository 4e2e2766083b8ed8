// fromFetch: one request through the Hono app of the hono-* rows (bench/hono/app.ts),
// as the gateway calls it, with the body drained. Compares the request built up front
// (environToRequest, as fromFetch did before its fast paths) with the lazy one, and the
// runtime's Response (read as a stream) with LightResponse (sent from its arguments).

import { Bench } from 'tinybench';
import { environToRequest, fromFetch, LightResponse } from '../../src/adapters/index.js';
import { createEnviron, type EnvironDefaults } from '../../src/environ.js';
import { createErrorStream } from '../../src/error-stream.js';
import { fileWrapper } from '../../src/file-wrapper.js';
import { BodyInput } from '../../src/input.js';
import type { App, Body, Environ } from '../../src/types.js';
import { honoApp } from '../hono/app.js';
import { FakeHead } from './fake-head.js';

const defaults: EnvironDefaults = {
  urlScheme: 'http', multiprocess: false, errors: createErrorStream({ error: () => {} }), fileWrapper, serverName: '127.0.0.1',
};
const head = new FakeHead();
const NativeResponse = globalThis.Response;
const hono = honoApp();

function environ(path: string): Environ {
  const e = createEnviron({ head, defaults, input: BodyInput.empty() });
  e.PATH_INFO = path;
  e.QUERY_STRING = '';
  return e;
}

/** fromFetch before its fast paths: a full Request, the Response body read as a stream. */
const eager: App = async (e, startResponse) => {
  const response = await hono.fetch(environToRequest(e, new AbortController().signal));
  const headers: [string, string][] = [];
  response.headers.forEach((value, name) => { headers.push([name, value]); });
  startResponse(`${response.status} OK`, headers);
  const chunks: Uint8Array[] = [];
  if (response.body) for await (const chunk of response.body) chunks.push(chunk);
  return chunks;
};
const lazy = fromFetch(hono.fetch);

let sink: unknown;
async function drain(body: Body | Promise<Body>): Promise<void> {
  for await (const chunk of (await body) as AsyncIterable<unknown>) sink = chunk;
}
const startResponse = (): (() => void) => () => {};
const light = { beforeAll: () => { globalThis.Response = LightResponse; }, afterAll: () => { globalThis.Response = NativeResponse; } };

export function fromFetchBench(): Bench {
  const bench = new Bench({ name: 'fromFetch: Hono GET /json (15-header request), body drained', time: 500 });
  bench
    .add('Request up front + runtime Response (before)', () => drain(eager(environ('/json'), startResponse)))
    .add('lazy Request + runtime Response', () => drain(lazy(environ('/json'), startResponse)))
    .add('lazy Request + LightResponse (overrideGlobalResponse)', () => drain(lazy(environ('/json'), startResponse)), light);
  return bench;
}

export const keepAlive = (): unknown => sink;
