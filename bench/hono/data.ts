// What the hono-* scenarios send and expect, shared by the wrk scripts (scenarios.ts)
// and the answer checks (check.ts) so that the load and the check cannot disagree.

import { HELLO_BODY } from '../scenario-data.js';
import type { OrderSummary } from './app.js';

export const HONO_PARAMS_PATH = '/users/42?fields=name,email';
export const HONO_PARAMS_ANSWER = { id: '42', fields: ['name', 'email'], name: 'user 42' };

/** A small order, ~200 bytes of JSON, as a browser form or API client would post. */
export const HONO_ORDER = {
  name: 'Ada Lovelace',
  items: [
    { sku: 'A-1', price: 12.5, qty: 1 },
    { sku: 'B-22', price: 3.25, qty: 2 },
    { sku: 'C-333', price: 100, qty: 1 },
  ],
};
export const HONO_ORDER_ANSWER: OrderSummary = { name: 'Ada Lovelace', count: 3, total: 115.75 };

export const HONO_JSON_ANSWER = { message: HELLO_BODY };
