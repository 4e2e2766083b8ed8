// `node dist/examples/api/serve.js`: serve examples/api on port 8000 (PORT, HOST and ENGINE override).
import { serveExample } from '../serve.js';
import { app } from './app.js';

await serveExample('api', app);
