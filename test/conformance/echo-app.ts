// The echo app of the conformance corpus: answers 200 with a JSON object holding the
// CGI keys the corpus checks, every HTTP_* key, and the body it read (latin-1, one
// code unit per byte). test/conformance/echo_app.py is the same app for gunicorn.

import type { App } from '../../src/types.js';

export const ECHOED_KEYS = [
  'REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING', 'SERVER_NAME', 'SERVER_PORT',
  'SERVER_PROTOCOL', 'CONTENT_LENGTH', 'CONTENT_TYPE',
] as const;

/** What the echo app answers: environ excerpt plus `body`. */
export type EchoedEnviron = Record<string, string>;

export const echoApp: App = (environ, startResponse) => {
  const body = Buffer.from(environ['wsgi.input'].read()).toString('latin1');
  const out: EchoedEnviron = {};
  for (const key of Object.keys(environ)) {
    if ((ECHOED_KEYS as readonly string[]).includes(key) || key.startsWith('HTTP_')) out[key] = String(environ[key]);
  }
  out.body = body;
  startResponse('200 OK', [['Content-Type', 'application/json'], ['X-Echo', '1']]);
  return [JSON.stringify(out)];
};
