// The hono-* rows of `npm run bench`: one Hono app (app.ts), four kinds of request, on
// @hono/node-server (the baseline) and on tsgi through fromFetch.

import type { Scenario } from '../scenarios.js';
import { lua } from '../lib/wrk.js';
import { HONO_ORDER, HONO_PARAMS_PATH } from './data.js';
import { HONO_SERVERS } from './serve.js';

const GET = 'wrk.method = "GET"';
const common = { app: 'hono', connections: 64, servers: HONO_SERVERS, timeoutSeconds: 5, unit: 'request', idleConnections: 0, baseline: 'hono-node' } as const;

export const HONO_SCENARIOS: readonly Scenario[] = [
  { ...common, name: 'hono-json', title: 'Hono: GET /json → c.json({ message })', check: 'hono-json', path: '/json', wrkScript: GET },
  { ...common, name: 'hono-plaintext', title: 'Hono: GET /plaintext → c.text()', check: 'hono-plaintext', path: '/plaintext', wrkScript: GET },
  { ...common, name: 'hono-params', title: 'Hono: GET /users/:id?fields=… (path param and query) → JSON', check: 'hono-params', path: HONO_PARAMS_PATH, wrkScript: GET },
  {
    ...common, name: 'hono-post', title: 'Hono: POST /orders, JSON body read with c.req.json() → 201 JSON', check: 'hono-post', path: '/orders',
    wrkScript: ['wrk.method = "POST"', `wrk.body = ${lua(JSON.stringify(HONO_ORDER))}`, 'wrk.headers["Content-Type"] = "application/json"'].join('\n'),
  },
];
