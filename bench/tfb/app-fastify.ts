// fastify, what a Node user picks, doing the TechEmpower test types the way its TFB entry
// does: a route per test with a response schema (fastify serializes with
// fast-json-stringify), Server set in an onRequest hook, the query parsed by fastify.
// The fortunes page uses the same template function as every other server here (the TFB
// entry uses handlebars through @fastify/view; the template engine is not what is compared).

import Fastify from 'fastify';
import { FORTUNES_CONTENT_TYPE, fortunesPage } from './fortunes.js';
import { queryCount, randomId, type TfbDb, type WorldCache } from './world.js';

const HELLO = 'Hello, World!';
const world = { type: 'object', properties: { id: { type: 'integer' }, randomNumber: { type: 'integer' } } } as const;
const worlds = { response: { 200: { type: 'array', items: world } } } as const;

type Query = { Querystring: { queries?: string; count?: string } };

export async function serveTfbFastify(db: TfbDb, cache: WorldCache, keepAliveSeconds: number): Promise<number> {
  const app = Fastify({ logger: false, keepAliveTimeout: keepAliveSeconds * 1000 });
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('Server', 'fastify');
    done();
  });
  app.get('/json', { schema: { response: { 200: { type: 'object', properties: { message: { type: 'string' } } } } } },
    async () => ({ message: HELLO }));
  app.get('/plaintext', async (_request, reply) => reply.type('text/plain').send(HELLO));
  app.get('/db', { schema: { response: { 200: world } } }, async () => db.world(randomId()));
  app.get<Query>('/queries', { schema: worlds }, async (request) => db.worlds(queryCount(request.query.queries)));
  app.get<Query>('/updates', { schema: worlds }, async (request) => db.updateWorlds(queryCount(request.query.queries)));
  app.get<Query>('/cached-queries', { schema: worlds }, async (request) => cache.pick(queryCount(request.query.count)));
  app.get('/fortunes', async (_request, reply) => reply.type(FORTUNES_CONTENT_TYPE).send(fortunesPage(await db.fortunes())));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('fastify: no TCP address');
  return address.port;
}
