// The rows of `npm run bench`: what load each scenario puts on which servers.

import type { AppKind } from './apps/app-kind.js';
import type { CheckKind } from './lib/check.js';
import { lua } from './lib/wrk.js';
import { BROWSER_HEADERS, HEADERS_PATH, PIPELINE_DEPTH, UPLOAD_SIZE } from './scenario-data.js';

export type ServerName = 'tsgi-uws' | 'tsgi-node' | 'tsgi-native' | 'uws-raw' | 'node-raw' | 'nginx' | 'gunicorn';
export const ALL_SERVERS: readonly ServerName[] = ['tsgi-uws', 'tsgi-native', 'tsgi-node', 'uws-raw', 'node-raw', 'nginx', 'gunicorn'];
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
}

const GET = 'wrk.method = "GET"';

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
];
