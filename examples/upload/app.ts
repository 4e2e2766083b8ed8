// File uploads: multipart/form-data parsed from wsgi.input as it is read (never the whole
// body in memory); each file is hashed through an onFile sink instead of being stored.
import { createHash } from 'node:crypto';
import type { App } from 'tsgi';
import { mount } from 'tsgi/middleware';
import { FormError, parseForm, type ParsedForm } from 'tsgi/util';

const form = `<!doctype html><meta charset="utf-8"><title>tsgi upload</title>
<h1>Upload</h1>
<form method="post" action="upload" enctype="multipart/form-data">
  <p><input name="note" placeholder="a note"></p>
  <p><input type="file" name="file" multiple></p>
  <p><button>Send</button></p>
</form>`;

const page: App = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/html; charset=utf-8']]);
  return [form];
};

const upload: App = (environ, startResponse) => {
  if (environ.REQUEST_METHOD !== 'POST') {
    startResponse('405 Method Not Allowed', [['Content-Type', 'text/plain'], ['Allow', 'POST']]);
    return ['POST a multipart form here\n'];
  }
  const digests: string[] = []; // in part order, like parsed.files
  let parsed: ParsedForm;
  try {
    parsed = parseForm(environ, {
      maxFileSize: 100 * 1024 * 1024,
      onFile() {
        const hash = createHash('sha256');
        return { write: (chunk) => { hash.update(chunk); }, end: () => { digests.push(hash.digest('hex')); } };
      },
    });
  } catch (error) {
    if (!(error instanceof FormError)) throw error;
    startResponse(`${error.status} ${error.status === 413 ? 'Content Too Large' : 'Bad Request'}`, [['Content-Type', 'text/plain']]);
    return [error.message + '\n'];
  }
  const files = parsed.files.map((f, i) => ({ field: f.field, filename: f.filename, type: f.contentType, size: f.size, sha256: digests[i] }));
  startResponse('200 OK', [['Content-Type', 'application/json']]);
  return [JSON.stringify({ fields: Object.fromEntries(parsed.fields), files }, null, 2) + '\n'];
};

export const app: App = mount({ '/upload': upload, '/': page });
