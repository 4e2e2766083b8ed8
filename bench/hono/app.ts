// The Hono app of the hono-* scenarios, written as a Hono user writes one: the same app
// object is served by @hono/node-server (row hono-node) and by tsgi through fromFetch
// (row hono-tsgi), so the rows differ only in the server underneath.

import { Hono } from 'hono';
import { HELLO_BODY } from '../scenario-data.js';

/** What the POST route answers for a body `{ name, items }`: counts and a sum. */
export interface OrderSummary { name: string; count: number; total: number }

export function honoApp(): Hono {
  const app = new Hono();

  app.get('/json', (c) => c.json({ message: HELLO_BODY }));

  app.get('/plaintext', (c) => c.text(HELLO_BODY));

  // A path parameter and a query parameter, as a REST lookup reads them.
  app.get('/users/:id', (c) => {
    const id = c.req.param('id');
    const fields = (c.req.query('fields') ?? 'name').split(',');
    return c.json({ id, fields, name: `user ${id}` });
  });

  // A JSON body in, a computed JSON answer out; a malformed body is the client's fault.
  app.post('/orders', async (c) => {
    let order: { name?: unknown; items?: unknown };
    try {
      order = await c.req.json();
    } catch {
      return c.json({ error: 'body is not JSON' }, 400);
    }
    const items = Array.isArray(order.items) ? order.items : [];
    const total = items.reduce((sum: number, item: { price?: unknown }) => sum + (typeof item?.price === 'number' ? item.price : 0), 0);
    const summary: OrderSummary = { name: String(order.name ?? ''), count: items.length, total };
    return c.json(summary, 201);
  });

  return app;
}
