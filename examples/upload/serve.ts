// `node dist/examples/upload/serve.js`: serve examples/upload on port 8000 (PORT, HOST and ENGINE override).
import { serveExample } from '../serve.js';
import { app } from './app.js';

await serveExample('upload', app);
