// URL and environ helpers after wsgiref.util (request_uri, application_uri,
// shift_path_info, setup_testing_defaults). Environ strings are latin-1 "byte strings"
// (PEP 3333 "Unicode Issues"): one code unit per byte of the request.

import { posix } from 'node:path';
import { BodyInput } from '../input.js';
import { fileWrapper } from '../file-wrapper.js';
import type { Environ, ErrorStream } from '../types.js';

/** RFC 3986 §2.3 unreserved characters, never escaped. */
const UNRESERVED = /[A-Za-z0-9_.~-]/;

/** Percent-encode a latin-1 string byte by byte, keeping `safe` characters (urllib.parse.quote
 * with encoding='latin1'). */
export function quoteLatin1(text: string, safe = '/'): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (code > 0xff) throw new TypeError(`environ strings must be latin-1, got U+${code.toString(16).toUpperCase()}`);
    if (UNRESERVED.test(ch) || safe.includes(ch)) out += ch;
    else out += '%' + code.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Bytes carried by a latin-1 environ string, decoded as UTF-8 (invalid bytes → U+FFFD). */
export function latin1ToUtf8(text: string): string {
  return Buffer.from(text, 'latin1').toString('utf8');
}

/** The reverse: UTF-8 text as a latin-1 environ string (what a server puts in PATH_INFO). */
export function utf8ToLatin1(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** PATH_INFO as text: the request path's bytes decoded as UTF-8. */
export function pathInfoText(environ: Environ): string {
  return latin1ToUtf8(String(environ.PATH_INFO ?? ''));
}

/** SCRIPT_NAME as text. */
export function scriptNameText(environ: Environ): string {
  return latin1ToUtf8(String(environ.SCRIPT_NAME ?? ''));
}

/** wsgiref.util.guess_scheme: 'https' when HTTPS is on, else 'http'. */
export function guessScheme(environ: Record<string, unknown>): string {
  const flag = String(environ.HTTPS ?? '').toLowerCase();
  return flag === 'yes' || flag === 'on' || flag === '1' ? 'https' : 'http';
}

/** wsgiref.util.application_uri: scheme, host and quoted SCRIPT_NAME (PEP 3333 "URL Reconstruction"). */
export function applicationUri(environ: Environ): string {
  const scheme = String(environ['wsgi.url_scheme'] ?? 'http');
  let url = scheme + '://';
  const host = environ.HTTP_HOST;
  if (typeof host === 'string' && host !== '') url += host;
  else {
    url += String(environ.SERVER_NAME ?? '');
    const port = String(environ.SERVER_PORT ?? '');
    if (port !== '' && port !== (scheme === 'https' ? '443' : '80')) url += ':' + port;
  }
  return url + quoteLatin1(String(environ.SCRIPT_NAME || '/'));
}

/** wsgiref.util.request_uri: the full URL of this request, PATH_INFO quoted with ";=,"
 * kept, and the query string unless includeQuery is false. */
export function requestUri(environ: Environ, includeQuery = true): string {
  let url = applicationUri(environ);
  const path = quoteLatin1(String(environ.PATH_INFO ?? ''), '/;=,');
  url += environ.SCRIPT_NAME ? path : path.slice(1);
  const query = String(environ.QUERY_STRING ?? '');
  if (includeQuery && query !== '') url += '?' + query;
  return url;
}

/** wsgiref.util.shift_path_info: move the first segment of PATH_INFO to the end of
 * SCRIPT_NAME and return it; undefined when PATH_INFO is empty. Empty and "."
 * segments in the middle are dropped; a "." name returns undefined. */
export function shiftPathInfo(environ: Environ): string | undefined {
  const pathInfo = String(environ.PATH_INFO ?? '');
  if (pathInfo === '') return undefined;
  const parts = pathInfo.split('/');
  const middle = parts.slice(1, -1).filter((p) => p !== '' && p !== '.');
  const rest = parts.length > 1 ? [parts[0]!, ...middle, parts[parts.length - 1]!] : parts;
  const name = rest[1] ?? '';
  rest.splice(1, 1);
  let scriptName = posix.normalize(String(environ.SCRIPT_NAME ?? '') + '/' + name);
  if (scriptName.endsWith('/')) scriptName = scriptName.slice(0, -1);
  if (name === '' && !scriptName.endsWith('/')) scriptName += '/';
  environ.SCRIPT_NAME = scriptName;
  environ.PATH_INFO = rest.join('/');
  return name === '.' ? undefined : name;
}

/** An ErrorStream that keeps what was written (setupTestingDefaults, testClient). */
export interface CollectingErrorStream extends ErrorStream {
  readonly text: string;
}

export function collectingErrors(): CollectingErrorStream {
  let text = '';
  return {
    get text() { return text; },
    write(t: string) { text += String(t); },
    writelines(lines: Iterable<string>) { for (const line of lines) text += String(line); },
    flush() {},
  };
}

/** wsgiref.util.setup_testing_defaults: fill in every key a tsgi server provides that is
 * missing, with dummy values, so an environ literal is enough to call an app. */
export function setupTestingDefaults(environ: Partial<Environ> | Record<string, unknown>): Environ {
  const put = (key: string, value: unknown): void => {
    if (!(key in environ)) environ[key] = value;
  };
  put('SERVER_NAME', '127.0.0.1');
  put('SERVER_PROTOCOL', 'HTTP/1.0');
  put('HTTP_HOST', environ.SERVER_NAME);
  put('REQUEST_METHOD', 'GET');
  if (!('SCRIPT_NAME' in environ) && !('PATH_INFO' in environ)) {
    environ.SCRIPT_NAME = '';
    environ.PATH_INFO = '/';
  }
  put('SCRIPT_NAME', '');
  put('PATH_INFO', '');
  put('QUERY_STRING', '');
  put('REMOTE_ADDR', '127.0.0.1');
  put('REMOTE_PORT', '');
  put('wsgi.version', [1, 0]);
  put('wsgi.run_once', false);
  put('wsgi.multithread', false);
  put('wsgi.multiprocess', false);
  put('wsgi.input', BodyInput.empty());
  put('wsgi.errors', collectingErrors());
  put('wsgi.url_scheme', guessScheme(environ));
  put('wsgi.input_terminated', true);
  put('wsgi.file_wrapper', fileWrapper);
  put('SERVER_PORT', environ['wsgi.url_scheme'] === 'https' ? '443' : '80');
  return environ as Environ;
}
