// mount({ '/api': api, '/static': files }, fallback): dispatch by path prefix, moving the
// prefix from PATH_INFO to the end of SCRIPT_NAME (PEP 3333 "URL Reconstruction";
// werkzeug's DispatcherMiddleware). Prefixes match whole segments: "/api" takes
// "/api" and "/api/x", never "/apix". The longest prefix wins.

import type { App, Environ, StartResponse } from '../types.js';
import { plainResponse } from './start-response.js';
import { utf8ToLatin1 } from '../util/uri.js';

export type Mounts = Record<string, App>;

export function mount(mounts: Mounts, fallback?: App): App {
  const table = Object.entries(mounts).map(([prefix, app]) => {
    if (typeof app !== 'function') throw new TypeError(`mount: the app for ${JSON.stringify(prefix)} must be a function`);
    if (prefix !== '' && !prefix.startsWith('/')) throw new TypeError(`mount: prefix must start with "/", got ${JSON.stringify(prefix)}`);
    // PATH_INFO holds the path's bytes as latin-1 (PEP 3333 "Unicode Issues"); the
    // prefix is text, so compare its UTF-8 bytes the same way.
    return { prefix: utf8ToLatin1(prefix.replace(/\/+$/, '')), app };
  });
  table.sort((a, b) => b.prefix.length - a.prefix.length);
  const root = table.find((m) => m.prefix === '')?.app ?? fallback;

  return function mounted(environ: Environ, startResponse: StartResponse) {
    const pathInfo = String(environ.PATH_INFO ?? '');
    for (const { prefix, app } of table) {
      if (prefix === '') continue;
      if (pathInfo === prefix || pathInfo.startsWith(prefix + '/')) {
        environ.SCRIPT_NAME = String(environ.SCRIPT_NAME ?? '') + prefix;
        environ.PATH_INFO = pathInfo.slice(prefix.length);
        return app(environ, startResponse);
      }
    }
    if (root) return root(environ, startResponse);
    return plainResponse(startResponse, '404 Not Found', 'Not Found');
  };
}
