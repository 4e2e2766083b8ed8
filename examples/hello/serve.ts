// `npm start`: serve examples/hello on port 8000 (PORT, HOST and ENGINE override).
import { serveExample } from '../serve.js';
import { app } from './app.js';

await serveExample('hello', app);
