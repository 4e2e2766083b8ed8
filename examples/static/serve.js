// `node examples/static/serve.js`: serve ./public on port 8000 (PORT, HOST, ENGINE override).
import { serveFast } from 'tsgi';
import { app } from './app.js';

const server = await serveFast(app, {
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 8000),
  engine: process.env.ENGINE ?? 'auto',
});
console.log(`tsgi: serving examples/static on http://${server.host}:${server.port}/ (engine ${server.engine})`);
const stop = () => server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
