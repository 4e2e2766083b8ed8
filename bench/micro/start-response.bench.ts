// start_response and the response head: header validation (src/headers.ts
// checkHeaders) alone, and a whole WsgiResponse (src/response.ts) from start_response to
// end() against an exchange that serializes the head as an HTTP/1.1 engine would.

import { Bench } from 'tinybench';
import { createErrorStream } from '../../src/error-stream.js';
import type { Exchange, ResponseHead } from '../../src/contract.js';
import { checkHeaders, type CheckedHeaders } from '../../src/headers.js';
import { BodyInput } from '../../src/input.js';
import { WsgiResponse, type ResponseContext } from '../../src/response.js';
import type { App, Environ } from '../../src/types.js';
import { FakeHead } from './fake-head.js';

const ONE: [string, string][] = [['Content-Type', 'text/plain']];
const FOUR: [string, string][] = [
  ['Content-Type', 'text/html; charset=utf-8'], ['Cache-Control', 'no-store'], ['X-Request-Id', '7f3e9c1a'], ['Vary', 'Accept-Encoding'],
];
const TWELVE: [string, string][] = [
  ...FOUR, ['Set-Cookie', 'session=6f1c2a9e8b7d4c3f; Path=/; HttpOnly'], ['Content-Language', 'en'],
  ['X-Frame-Options', 'DENY'], ['X-Content-Type-Options', 'nosniff'], ['Referrer-Policy', 'same-origin'],
  ['Strict-Transport-Security', 'max-age=63072000'], ['ETag', '"33a64df551425fcc55e4d42a148795d9f25f89d4"'],
  ['Last-Modified', 'Wed, 21 Oct 2015 07:28:00 GMT'],
];

let wire = '';

/** Takes the head and body as an engine would; the head becomes HTTP/1.1 text. */
class SerializingExchange implements Exchange {
  readonly head = new FakeHead();
  readonly bodyLength = 0;
  readBody(): void {}
  pauseBody(): void {}
  resumeBody(): void {}
  writeContinue(): void {}
  writeHead(h: ResponseHead): void {
    let text = `HTTP/1.1 ${h.status}\r\n`;
    const f = h.headers;
    for (let i = 0; i < f.length; i += 2) text += `${f[i]!}: ${f[i + 1]!}\r\n`;
    wire = `${text}Content-Length: ${h.contentLength}\r\n\r\n`;
  }
  write(): boolean { return true; }
  end(chunk?: Uint8Array | string): void { if (chunk !== undefined) wire += typeof chunk === 'string' ? chunk : ''; }
  onWritable(): void {}
  onAborted(): void {}
  abort(): void {}
}

const context: ResponseContext = { serverHeader: 'tsgi', errors: createErrorStream({ error: () => {} }), closing: false };
const environ = {} as Environ;
const appWith = (headers: [string, string][]): App => (_env, startResponse) => {
  startResponse('200 OK', headers.map(([k, v]) => [k, v]));
  return ['Hello, World!'];
};
const apps = { one: appWith(ONE), four: appWith(FOUR), twelve: appWith(TWELVE) };
const cycle = (app: App): void => {
  new WsgiResponse(new SerializingExchange(), context, BodyInput.empty(), true).run(app, environ);
};
let sink: unknown;
/** checkHeaders writes into a caller-owned record (src/headers.ts). */
const checked = {} as CheckedHeaders;

export function startResponseBench(): Bench {
  const bench = new Bench({ name: 'start_response and response head', time: 500 });
  bench
    .add('checkHeaders, 1 header', () => { checkHeaders(ONE, checked); sink = checked; })
    .add('checkHeaders, 4 headers', () => { checkHeaders(FOUR, checked); sink = checked; })
    .add('checkHeaders, 12 headers', () => { checkHeaders(TWELVE, checked); sink = checked; })
    .add('response cycle + head serialized, 1 header', () => cycle(apps.one))
    .add('response cycle + head serialized, 4 headers', () => cycle(apps.four))
    .add('response cycle + head serialized, 12 headers', () => cycle(apps.twelve));
  return bench;
}

export const lastWire = (): string => wire + String(sink === undefined ? '' : '');
