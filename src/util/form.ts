// parseForm(environ): the request body as form fields (and files), by Content-Type:
// application/x-www-form-urlencoded or multipart/form-data (RFC 7578).

import type { Environ, InputStream } from '../types.js';
import { FormError, parseMultipart, type FormOptions, type ParsedForm } from './multipart.js';
import { parseContentType, parseQueryString } from './query.js';

export interface ParseFormOptions extends FormOptions {
  /** Largest urlencoded body in bytes (413 beyond). Default 1 MiB. */
  maxUrlencodedSize?: number;
}

/** Fields and files of the request body. Other content types give an empty form and
 * leave wsgi.input unread. Throws FormError (with `status`) on a malformed or too large body. */
export function parseForm(environ: Environ, options: ParseFormOptions = {}): ParsedForm {
  const { type, params } = parseContentType(typeof environ.CONTENT_TYPE === 'string' ? environ.CONTENT_TYPE : undefined);
  const input = environ['wsgi.input'] as InputStream;
  if (type === 'multipart/form-data') {
    if (!params.boundary) throw new FormError('multipart/form-data without a boundary parameter (RFC 7578 §4.1)');
    return parseMultipart(input, params.boundary, options);
  }
  const empty: ParsedForm = { fields: new URLSearchParams(), files: [], cleanup() {} };
  if (type !== 'application/x-www-form-urlencoded') return empty;
  const limit = options.maxUrlencodedSize ?? 1024 * 1024;
  const body = input.read(limit + 1);
  if (body.length > limit) throw new FormError(`urlencoded form larger than ${limit} bytes`, 413);
  empty.fields = parseQueryString(Buffer.from(body.buffer, body.byteOffset, body.length).toString('latin1'));
  return empty;
}
