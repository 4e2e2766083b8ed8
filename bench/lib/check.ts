// Before a server is timed, its answer is checked: status and body, per scenario. A
// server that answers wrongly is reported as failed, never measured.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import {
  BROWSER_HEADERS, expectedHeadersAnswer, FILE_SIZE, HEADERS_PATH, HELLO_BODY, PIPELINE_DEPTH,
  STREAM_CHUNK_COUNT, streamChunk, UPLOAD_SIZE,
} from '../scenario-data.js';
import { checkHono, type HonoCheckKind } from '../hono/check.js';
import { checkTfb } from '../tfb/check.js';
import { isTfbCheck, type TfbCheckKind } from '../tfb/scenarios.js';

interface Answer { status: number; body: Buffer; bytes: number }

interface Ask {
  port: number;
  /** Speak TLS and trust this CA (PEM); the certificate must be valid for localhost. */
  ca?: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Keep at most this many body bytes (the rest is only counted). */
  keep?: number;
  /** Stop reading after this many body bytes. */
  stopAfter?: number;
}

function ask(q: Ask): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port: q.port, method: q.method ?? 'GET', path: q.path, headers: q.headers, agent: false as const };
    const onResponse = (res: import('node:http').IncomingMessage): void => {
      const parts: Buffer[] = [];
      let kept = 0;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (kept < (q.keep ?? Infinity)) { parts.push(chunk); kept += chunk.length; }
        if (q.stopAfter !== undefined && bytes >= q.stopAfter) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), bytes });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts), bytes }));
      res.on('error', reject);
    };
    const req = q.ca ? httpsRequest({ ...options, ca: q.ca, servername: 'localhost' }, onResponse) : httpRequest(options, onResponse);
    req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(q.body);
  });
}

function expect200(a: Answer): void {
  if (a.status !== 200) throw new Error(`status ${a.status}, expected 200`);
}

function expectText(a: Answer, text: string): void {
  expect200(a);
  const got = a.body.toString('latin1');
  if (got !== text) throw new Error(`body ${JSON.stringify(got.slice(0, 80))}, expected ${JSON.stringify(text)}`);
}

async function checkHello(port: number, path: string, ca?: string): Promise<void> {
  expectText(await ask({ port, path, ca }), HELLO_BODY);
}

/** PIPELINE_DEPTH requests in one write; all answers must come back, in order. */
function checkPipelined(port: number, path: string): Promise<void> {
  const one = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`pipelined: ${count()} of ${PIPELINE_DEPTH} answers within 5 s`)); }, 5000);
    const count = (): number => text.split(HELLO_BODY).length - 1;
    socket.on('connect', () => socket.write(one.repeat(PIPELINE_DEPTH)));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (count() < PIPELINE_DEPTH) return;
      clearTimeout(timer);
      socket.destroy();
      // Bodies end without a newline, so status lines are counted anywhere in the stream.
      const statuses = text.split('HTTP/1.1 200 ').length - 1;
      if (statuses !== PIPELINE_DEPTH) reject(new Error(`pipelined: ${statuses} "200" status lines of ${PIPELINE_DEPTH}`));
      else resolve();
    });
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

async function checkHeaders(port: number, path: string): Promise<void> {
  if (path !== HEADERS_PATH) throw new Error(`headers scenario must use ${HEADERS_PATH}`);
  const host = `127.0.0.1:${port}`;
  const a = await ask({ port, path, headers: { Host: host, ...Object.fromEntries(BROWSER_HEADERS) } });
  expect200(a);
  const got = JSON.parse(a.body.toString('latin1')) as Record<string, string>;
  const want = expectedHeadersAnswer(host);
  for (const [key, value] of Object.entries(want)) {
    if (got[key] !== value) throw new Error(`headers: ${key} = ${JSON.stringify(got[key])}, expected ${JSON.stringify(value)}`);
  }
}

async function checkUpload(port: number, path: string): Promise<void> {
  const a = await ask({ port, path, method: 'POST', body: Buffer.alloc(UPLOAD_SIZE, 120), headers: { 'Content-Type': 'application/octet-stream' } });
  expectText(a, String(UPLOAD_SIZE));
}

async function checkStream(port: number, path: string): Promise<void> {
  const a = await ask({ port, path });
  expect200(a);
  const want = Buffer.concat(Array.from({ length: STREAM_CHUNK_COUNT }, (_, i) => streamChunk(i)));
  if (!a.body.equals(want)) throw new Error(`stream: ${a.body.length} bytes, not the ${want.length} expected`);
}

/** The whole file is counted when `full`; else the first 64 MiB (quick runs). */
async function checkFile(port: number, path: string, full: boolean): Promise<void> {
  const stopAfter = full ? undefined : 64 * 1024 * 1024;
  const a = await ask({ port, path, keep: 1024 * 1024, stopAfter });
  expect200(a);
  if (a.body.some((b) => b !== 0)) throw new Error('file: the first MiB is not the file (zeros expected)');
  const want = stopAfter ?? FILE_SIZE;
  if (a.bytes < want || (full && a.bytes !== FILE_SIZE)) throw new Error(`file: ${a.bytes} bytes, expected ${want}`);
}

export type CheckKind = 'hello' | 'pipelined' | 'headers' | 'upload' | 'stream' | 'file' | HonoCheckKind | TfbCheckKind;

/** `ca`: the server speaks TLS with a certificate from this CA (only hello is checked so). */
export function checkAnswer(kind: CheckKind, port: number, path: string, full: boolean, ca?: string): Promise<void> {
  if (ca && kind !== 'hello') return Promise.reject(new Error(`no TLS check for ${kind}`));
  if (isTfbCheck(kind)) return checkTfb(kind, port);
  switch (kind) {
    case 'hello': return checkHello(port, path, ca);
    case 'pipelined': return checkPipelined(port, path);
    case 'headers': return checkHeaders(port, path);
    case 'upload': return checkUpload(port, path);
    case 'stream': return checkStream(port, path);
    case 'file': return checkFile(port, path, full);
    default: return checkHono(kind, port, path);
  }
}
