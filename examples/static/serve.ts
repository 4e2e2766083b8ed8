// `node dist/examples/static/serve.js`: serve examples/static on port 8000 (PORT, HOST and ENGINE override).
import { serveExample } from '../serve.js';
import { app } from './app.js';

await serveExample('static', app);
