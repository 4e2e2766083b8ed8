// A static site: files under ./public with ETag / Last-Modified, Range and gzip/br.
import { fileURLToPath } from 'node:url';
import { compress, staticFiles } from 'tsgi/middleware';

const root = fileURLToPath(new URL('./public', import.meta.url));

export const app = compress(staticFiles(root, { maxAge: 60 }));
