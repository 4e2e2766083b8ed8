// staticFiles(root): serve files under `root` (GET and HEAD). Requests that could leave
// the root — ".." segments (however they were encoded: the server has already
// percent-decoded PATH_INFO), NUL, backslashes, symbolic links pointing outside — get
// 400 or 404. Responses carry ETag and Last-Modified (304 on a match), honour Range
// (206 / 416), and the body is a FileWrapper (PEP 3333 "Optional Platform-Specific File
// Handling") without a Content-Length header, so a server can send it with sendfile and
// derives the length from the wrapper itself.

import { closeSync, fstatSync, openSync, realpathSync, type Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { FileWrapper } from '../file-wrapper.js';
import type { App, Body, Environ, FileWrapperFactory, StartResponse } from '../types.js';
import { quoteLatin1 } from '../util/uri.js';
import { contentTypeFor } from './mime.js';
import { chooseRange, notModified, preconditionFailed, type Validators } from './range.js';
import { plainResponse } from './start-response.js';

export interface StaticOptions {
  /** File served for a directory; false for none. Default "index.html". */
  index?: string | false;
  /** Cache-Control max-age in seconds; default none. */
  maxAge?: number;
  /** Serve names starting with "."; default false (404). */
  dotfiles?: boolean;
  /** Called instead of answering 404/405 (e.g. the rest of the site). */
  fallthrough?: App;
  /** Extension → Content-Type, added to the built-in table. */
  types?: Record<string, string>;
  /** FileWrapper block size. Default 64 KiB. */
  blockSize?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function staticFiles(root: string, options: StaticOptions = {}): App {
  const rootReal = realpathSync(root);
  const index = options.index === undefined ? 'index.html' : options.index;
  const blockSize = options.blockSize ?? 64 * 1024;

  return function serveStatic(environ: Environ, startResponse: StartResponse): Body {
    const notFound = (): Body => (options.fallthrough ? options.fallthrough(environ, startResponse) as Body : plainResponse(startResponse, '404 Not Found', 'Not Found'));
    const method = environ.REQUEST_METHOD;
    if (method !== 'GET' && method !== 'HEAD') {
      if (options.fallthrough) return options.fallthrough(environ, startResponse) as Body;
      return plainResponse(startResponse, '405 Method Not Allowed', 'Method Not Allowed', [['Allow', 'GET, HEAD']]);
    }
    const pathInfo = String(environ.PATH_INFO ?? '');
    let path: string;
    try {
      path = utf8.decode(Buffer.from(pathInfo, 'latin1'));
    } catch {
      return plainResponse(startResponse, '400 Bad Request', 'Bad Request: the path is not UTF-8');
    }
    if (path.includes('\0') || path.includes('\\')) return plainResponse(startResponse, '400 Bad Request', 'Bad Request');
    const segments = path.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.some((s) => s === '..' || (!options.dotfiles && s.startsWith('.')))) return notFound();

    let real: string;
    try {
      real = realpathSync(join(rootReal, ...segments));
    } catch {
      return notFound();
    }
    // Symbolic links resolved: the file must still be inside the root.
    if (real !== rootReal && !real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep)) return notFound();

    let fd: number;
    let stat: Stats;
    try {
      fd = openSync(real, 'r');
      stat = fstatSync(fd);
    } catch {
      return notFound();
    }
    let isIndex = false;
    if (stat.isDirectory()) {
      closeSync(fd);
      if (!pathInfo.endsWith('/')) {
        // RFC 9110 §15.4.2: send the client to the directory URL, so relative links work.
        const query = environ.QUERY_STRING ? `?${environ.QUERY_STRING}` : '';
        const location = quoteLatin1(String(environ.SCRIPT_NAME ?? '') + pathInfo + '/', '/;=,') + query;
        return plainResponse(startResponse, '301 Moved Permanently', 'Moved Permanently', [['Location', location]]);
      }
      if (index === false) return notFound();
      try {
        fd = openSync(join(real, index), 'r');
        stat = fstatSync(fd);
      } catch {
        return notFound();
      }
      real = join(real, index);
      isIndex = true;
    }
    // A file is not a directory: "/file.txt/" names nothing (ENOTDIR, as nginx answers).
    if (!stat.isFile() || (pathInfo.endsWith('/') && !isIndex)) {
      closeSync(fd);
      return notFound();
    }
    return sendFile(environ, startResponse, fd, stat, real, options, blockSize);
  };
}

function sendFile(environ: Environ, startResponse: StartResponse, fd: number, stat: Stats, real: string, options: StaticOptions, blockSize: number): Body {
  const mtimeSeconds = Math.floor(stat.mtimeMs / 1000);
  const v: Validators = {
    etag: `"${stat.size.toString(16)}-${mtimeSeconds.toString(16)}"`,
    mtimeSeconds,
    lastModified: new Date(mtimeSeconds * 1000).toUTCString(),
  };
  const headers: [string, string][] = [['ETag', v.etag], ['Last-Modified', v.lastModified]];
  if (options.maxAge !== undefined) headers.push(['Cache-Control', `public, max-age=${Math.floor(options.maxAge)}`]);
  if (preconditionFailed(environ, v)) {
    closeSync(fd);
    return plainResponse(startResponse, '412 Precondition Failed', 'Precondition Failed', headers);
  }
  if (notModified(environ, v)) {
    closeSync(fd);
    startResponse('304 Not Modified', headers);
    return [];
  }
  headers.push(['Content-Type', contentTypeFor(real, options.types)], ['Accept-Ranges', 'bytes']);
  const range = environ.REQUEST_METHOD === 'GET' ? chooseRange(environ, stat.size, v) : { kind: 'full' as const };
  if (range.kind === 'unsatisfiable') {
    closeSync(fd);
    return plainResponse(startResponse, '416 Range Not Satisfiable', 'Range Not Satisfiable', [['Content-Range', range.contentRange]]);
  }
  const file = { fd, close: () => closeSync(fd) };
  try {
    if (range.kind === 'partial') {
      startResponse('206 Partial Content', [...headers, ['Content-Range', range.contentRange]]);
      return new FileWrapper(file, blockSize, { offset: range.offset, length: range.length });
    }
    startResponse('200 OK', headers);
  } catch (error) {
    // start_response refused (e.g. a second call): nothing owns the descriptor yet.
    closeSync(fd);
    throw error;
  }
  // PEP 3333: use the server's wsgi.file_wrapper when it offers one.
  const factory = environ['wsgi.file_wrapper'] as FileWrapperFactory | undefined;
  return typeof factory === 'function' ? factory(file, blockSize) : new FileWrapper(file, blockSize, { offset: 0, length: stat.size });
}
