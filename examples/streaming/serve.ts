// `node dist/examples/streaming/serve.js`: serve examples/streaming on port 8000 (PORT, HOST and ENGINE override).
import { serveExample } from '../serve.js';
import { app } from './app.js';

await serveExample('streaming', app);
