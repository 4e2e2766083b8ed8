// The rows of `npm run bench`: what load each scenario puts on which servers.

import type { AppKind } from './apps/app-kind.js';
import type { CheckKind } from './lib/check.js';
import { lua } from './lib/wrk.js';
import { HONO_SCENARIOS } from './hono/scenarios.js';
import { HONO_SERVERS, type HonoServer } from './hono/serve.js';
import { TFB_SCENARIOS } from './tfb/scenarios.js';
import { BROWSER_HEADERS, HEADERS_PATH, PIPELINE_DEPTH, UPLOAD_SIZE } from './scenario-data.js';

export type ServerName = 'tsgi-uws' | 'tsgi-node' | 'tsgi-native' | 'uws-raw' | 'node-raw' | 'nginx' | 'gunicorn' | 'nginx-proxy' | 'fastify' | HonoServer;
/** nginx-proxy: nginx terminating TLS in front of tsgi-native on plain HTTP (TLS scenarios only). */
export const ALL_SERVERS: readonly ServerName[] = ['tsgi-uws', 'tsgi-native', 'tsgi-node', 'uws-raw', 'node-raw', 'nginx', 'gunicorn', 'nginx-proxy', ...HONO_SERVERS, 'fastify'];
/** Servers every scenario runs on; nginx and gunicorn only where listed. */
const NODE_SERVERS: readonly ServerName[] = ['tsgi-uws', 'tsgi-native', 'tsgi-node', 'uws-raw', 'node-raw'];

export interface Scenario {
  name: string;
  title: string;
  app: AppKind;
  check: CheckKind;
  path: string;
  connections: number;
  servers: readonly ServerName[];
  /** Lua for wrk (the done() hook is appended). */
  wrkScript: string;
  /** wrk --timeout: a 1 GiB answer takes longer than wrk's default 2 s. */
  timeoutSeconds: number;
  /** 'throughput' rows are judged by MB/s and CPU per MiB instead of per request. */
  unit: 'request' | 'throughput';
  /** Idle keep-alive connections held open by a separate process during the run. */
  idleConnections: number;
  /** Every server speaks TLS (the fixture's ECDSA P-256 certificate) and wrk uses https. */
  tls?: boolean;
  /** The row "vs" divides by (same scenario, same run). Default uws-raw. */
  baseline?: ServerName;
  /** The servers talk to the bench's own PostgreSQL (bench/tfb/postgres.ts), whose CPU is
   * measured as a column of its own. */
  database?: boolean;
  /** Seconds per measured run when the command line gives no --duration. */
  defaultSeconds?: number;
}

const GET = 'wrk.method = "GET"';
/** TLS rows: every tsgi engine, node:https and uWS SSLApp by hand, nginx alone and in front of tsgi. */
const TLS_SERVERS: readonly ServerName[] = ['tsgi-native', 'tsgi-node', 'tsgi-uws', 'node-raw', 'uws-raw', 'nginx', 'nginx-proxy'];

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'hello', title: 'GET /, 13-byte body, keep-alive', app: 'hello', check: 'hello', path: '/',
    connections: 64, servers: [...NODE_SERVERS, 'nginx', 'gunicorn'], wrkScript: GET, timeoutSeconds: 5, unit: 'request', idleConnections: 0,
  },
  {
    name: 'pipelined', title: `hello, ${PIPELINE_DEPTH} requests per write`, app: 'hello', check: 'pipelined', path: '/',
    connections: 64, servers: [...NODE_SERVERS, 'nginx'], timeoutSeconds: 5, unit: 'request', idleConnections: 0,
    wrkScript: [
      'init = function(args)',
      '  local r = {}',
      `  for i = 1, ${PIPELINE_DEPTH} do r[i] = wrk.format(nil, "/") end`,
      '  batch = table.concat(r)',
      'end',
      'request = function() return batch end',
    ].join('\n'),
  },
  {
    name: 'headers', title: 'browser-like request (15 headers), app reads 6 environ keys → JSON', app: 'headers', check: 'headers',
    path: HEADERS_PATH, connections: 64, servers: [...NODE_SERVERS, 'gunicorn'], timeoutSeconds: 5, unit: 'request', idleConnections: 0,
    wrkScript: [GET, ...BROWSER_HEADERS.map(([k, v]) => `wrk.headers[${lua(k)}] = ${lua(v)}`)].join('\n'),
  },
  {
    name: 'upload', title: `POST ${UPLOAD_SIZE / 1024} KiB, app reads wsgi.input`, app: 'upload', check: 'upload', path: '/',
    connections: 64, servers: [...NODE_SERVERS, 'gunicorn'], timeoutSeconds: 5, unit: 'request', idleConnections: 0,
    wrkScript: [
      'wrk.method = "POST"',
      `wrk.body = string.rep("x", ${UPLOAD_SIZE})`,
      'wrk.headers["Content-Type"] = "application/octet-stream"',
    ].join('\n'),
  },
  {
    name: 'stream', title: '64 KiB answer in 16 chunks from a generator', app: 'stream', check: 'stream', path: '/',
    connections: 64, servers: NODE_SERVERS, wrkScript: GET, timeoutSeconds: 5, unit: 'request', idleConnections: 0,
  },
  {
    name: 'async', title: 'app awaits one resolved promise', app: 'async', check: 'hello', path: '/',
    connections: 64, servers: NODE_SERVERS, wrkScript: GET, timeoutSeconds: 5, unit: 'request', idleConnections: 0,
  },
  {
    name: 'file', title: '1 GiB file via wsgi.file_wrapper (1 connection)', app: 'file', check: 'file', path: '/bench.bin',
    // One stream: a 1 GiB answer then completes within a run, so latency is its transfer time.
    connections: 1, servers: [...NODE_SERVERS, 'nginx'], wrkScript: GET, timeoutSeconds: 60, unit: 'throughput', idleConnections: 0,
  },
  {
    name: 'idle', title: 'hello while 10,000 idle keep-alive connections are open', app: 'hello', check: 'hello', path: '/',
    connections: 64, servers: NODE_SERVERS, wrkScript: GET, timeoutSeconds: 5, unit: 'request', idleConnections: 10_000,
  },
  {
    name: 'tls', title: 'hello over keep-alive TLS (ECDSA P-256)', app: 'hello', check: 'hello', path: '/',
    connections: 64, servers: TLS_SERVERS, wrkScript: GET, timeoutSeconds: 5, unit: 'request', idleConnections: 0, tls: true, baseline: 'nginx',
  },
  {
    // Connection: close makes the server close after each answer and wrk reconnect: one
    // full handshake per request (wrk keeps no session to resume), so req/s = handshakes/s.
    name: 'tls-handshake', title: 'hello, a new TLS connection per request (handshakes/s)', app: 'hello', check: 'hello', path: '/',
    connections: 16, servers: TLS_SERVERS, timeoutSeconds: 5, unit: 'request', idleConnections: 0, tls: true, baseline: 'nginx',
    wrkScript: [GET, 'wrk.headers["Connection"] = "close"'].join('\n'),
  },
  ...HONO_SCENARIOS,
  ...TFB_SCENARIOS,
];
