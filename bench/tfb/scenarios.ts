// The TechEmpower test types as rows of `npm run bench` (group "tfb": `--only tfb`). The
// load is TFB's (its Accept headers, 16 requests per write for plaintext); 64 connections
// and one wrk thread as in the other scenarios (TFB's own runs use 16–512 connections on
// bigger machines). queries and updates ask for 20 rows (TFB's top level), cached-queries
// for 100 (TFB's top level for it).

import type { Scenario, ServerName } from '../scenarios.js';
import { lua } from '../lib/wrk.js';
import { ACCEPT_HTML, ACCEPT_JSON, ACCEPT_PLAIN, TFB_PATHS, type TfbTest } from './verify.js';

export type TfbCheckKind = `tfb-${TfbTest}`;
export const TFB_GROUP = 'tfb';
export const TFB_PIPELINE_DEPTH = 16;
/** Seconds per measured run when the command line gives no --duration: seven scenarios on
 * six servers stay a few minutes of the default run. */
export const TFB_DEFAULT_SECONDS = 2;

/** tsgi on each engine, fastify with the same driver, and the work by hand on uWS and node:http. */
export const TFB_SERVERS: readonly ServerName[] = ['tsgi-native', 'tsgi-uws', 'tsgi-node', 'uws-raw', 'node-raw', 'fastify'];

export const isTfbCheck = (kind: string): kind is TfbCheckKind => kind.startsWith('tfb-');
export const isTfbScenario = (name: string): boolean => name.startsWith('tfb-');

const get = (accept: string): string => ['wrk.method = "GET"', `wrk.headers["Accept"] = ${lua(accept)}`].join('\n');

function row(test: TfbTest, title: string, path: string, wrkScript: string): Scenario {
  return {
    name: `tfb-${test}`, title, app: 'tfb', check: `tfb-${test}`, path, connections: 64, servers: TFB_SERVERS,
    wrkScript, timeoutSeconds: 10, unit: 'request', idleConnections: 0, database: true, defaultSeconds: TFB_DEFAULT_SECONDS,
  };
}

export const TFB_SCENARIOS: readonly Scenario[] = [
  row('json', 'TFB json: {"message":"Hello, World!"} serialized per request', TFB_PATHS.json, get(ACCEPT_JSON)),
  row('plaintext', `TFB plaintext, ${TFB_PIPELINE_DEPTH} requests per write`, TFB_PATHS.plaintext, [
    'init = function(args)',
    '  local r = {}',
    `  for i = 1, ${TFB_PIPELINE_DEPTH} do r[i] = wrk.format("GET", ${lua(TFB_PATHS.plaintext)}, { Accept = ${lua(ACCEPT_PLAIN)} }) end`,
    '  batch = table.concat(r)',
    'end',
    'request = function() return batch end',
  ].join('\n')),
  row('db', 'TFB db: one random World row (PostgreSQL)', TFB_PATHS.db, get(ACCEPT_JSON)),
  row('queries', 'TFB queries: 20 World rows, one query each', `${TFB_PATHS.queries}20`, get(ACCEPT_JSON)),
  row('fortunes', 'TFB fortunes: 12 rows + 1, sorted, escaped HTML', TFB_PATHS.fortunes, get(ACCEPT_HTML)),
  row('updates', 'TFB updates: 20 rows read one by one, written back in one statement', `${TFB_PATHS.updates}20`, get(ACCEPT_JSON)),
  row('cached-queries', 'TFB cached-queries: 100 rows from an in-process cache', `${TFB_PATHS['cached-queries']}100`, get(ACCEPT_JSON)),
];
