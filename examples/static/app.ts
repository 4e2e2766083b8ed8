// A static site: files under ./public with ETag / Last-Modified, Range and gzip/br.
import { fileURLToPath } from 'node:url';
import type { App } from 'tsgi';
import { compress, staticFiles } from 'tsgi/middleware';

// This module runs compiled, from dist/examples/static/; the files stay in the sources.
const root = fileURLToPath(new URL('../../../examples/static/public', import.meta.url));

export const app: App = compress(staticFiles(root, { maxAge: 60 }));
