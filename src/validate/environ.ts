// Server-side checks: the environ the app receives (PEP 3333 "environ Variables",
// "Unicode Issues"), as wsgiref.validate.check_environ, adapted to what tsgi servers
// legitimately produce (CONTENT_TYPE / CONTENT_LENGTH absent when the request has none,
// PATH_INFO "*" for OPTIONS *, latin-1 strings, wsgi.version [1, 0]).

import type { Environ } from '../types.js';
import { show, type Report } from './rules.js';

/** PEP 3333 "environ Variables": present in every request (SCRIPT_NAME, PATH_INFO,
 * QUERY_STRING, CONTENT_* may be omitted when empty). */
const REQUIRED = [
  'REQUEST_METHOD', 'SERVER_NAME', 'SERVER_PORT', 'SERVER_PROTOCOL',
  'wsgi.version', 'wsgi.url_scheme', 'wsgi.input', 'wsgi.errors',
  'wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once',
];
const FLAGS = ['wsgi.multithread', 'wsgi.multiprocess', 'wsgi.run_once', 'wsgi.input_terminated'];
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS', 'PATCH', 'PUT', 'DELETE', 'TRACE', 'CONNECT']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const LATIN1 = /^[\x00-\xff]*$/;

export function checkEnviron(environ: unknown, report: Report): asserts environ is Environ {
  if (environ === null || typeof environ !== 'object' || Array.isArray(environ)) {
    report.fail('environ-type', `environ must be an object, got ${show(environ)} (PEP 3333 "Specification Details")`);
  }
  const env = environ as Record<string, unknown>;
  for (const key of REQUIRED) {
    if (!(key in env)) report.fail('environ-missing-key', `environ has no ${key} (PEP 3333 "environ Variables")`);
  }
  for (const key of ['HTTP_CONTENT_TYPE', 'HTTP_CONTENT_LENGTH']) {
    if (key in env) report.fail('environ-http-content', `environ must not hold ${key}; use ${key.slice(5)} (PEP 3333 "environ Variables", CGI)`);
  }
  if (!('QUERY_STRING' in env)) {
    report.warn('query-string', 'QUERY_STRING is missing; servers should send it even when empty (PEP 3333 "environ Variables")');
  }
  // PEP 3333 "Unicode Issues": CGI keys hold native strings, only code points 0–255.
  for (const key of Object.keys(env)) {
    if (key.includes('.')) continue;
    const value = env[key];
    if (typeof value !== 'string') report.fail('environ-native-string', `environ[${key}] must be a string, got ${show(value)} (PEP 3333 "Unicode Issues")`);
    if (!LATIN1.test(value)) report.fail('environ-native-string', `environ[${key}] must be latin-1 (each code unit one byte), got ${show(value)} (PEP 3333 "Unicode Issues")`);
  }
  const version = env['wsgi.version'];
  if (!Array.isArray(version) || version.length !== 2 || version[0] !== 1 || version[1] !== 0) {
    report.fail('wsgi-version', `wsgi.version must be [1, 0], got ${show(version)} (PEP 3333 "environ Variables")`);
  }
  const scheme = env['wsgi.url_scheme'];
  if (scheme !== 'http' && scheme !== 'https') report.fail('wsgi-url-scheme', `wsgi.url_scheme must be "http" or "https", got ${show(scheme)}`);
  for (const key of FLAGS) {
    if (key in env && typeof env[key] !== 'boolean') report.fail('wsgi-flag-type', `${key} must be a boolean, got ${show(env[key])}`);
  }
  const input = env['wsgi.input'] as Record<string, unknown> | null;
  for (const method of ['read', 'readline', 'readlines']) {
    if (!input || typeof input[method] !== 'function') report.fail('wsgi-input', `wsgi.input has no ${method}() (PEP 3333 "Input and Error Streams")`);
  }
  if (typeof (input as Record<symbol, unknown>)[Symbol.iterator] !== 'function') report.fail('wsgi-input', 'wsgi.input must be iterable (PEP 3333 "Input and Error Streams")');
  const errors = env['wsgi.errors'] as Record<string, unknown> | null;
  for (const method of ['write', 'writelines', 'flush']) {
    if (!errors || typeof errors[method] !== 'function') report.fail('wsgi-errors', `wsgi.errors has no ${method}() (PEP 3333 "Input and Error Streams")`);
  }
  if ('wsgi.file_wrapper' in env && typeof env['wsgi.file_wrapper'] !== 'function') {
    report.fail('wsgi-file-wrapper', `wsgi.file_wrapper must be callable, got ${show(env['wsgi.file_wrapper'])} (PEP 3333 "Optional Platform-Specific File Handling")`);
  }
  const method = env.REQUEST_METHOD as string;
  if (!TOKEN.test(method)) report.fail('request-method', `REQUEST_METHOD must be a token, got ${show(method)} (RFC 9110 §9.1)`);
  if (!KNOWN_METHODS.has(method)) report.warn('request-method', `unknown REQUEST_METHOD ${show(method)}`);
  const scriptName = (env.SCRIPT_NAME ?? '') as string;
  const pathInfo = (env.PATH_INFO ?? '') as string;
  if (scriptName !== '' && !scriptName.startsWith('/')) report.fail('script-name', `SCRIPT_NAME must be empty or start with "/", got ${show(scriptName)} (PEP 3333 "URL Reconstruction")`);
  if (scriptName === '/') report.fail('script-name', 'SCRIPT_NAME cannot be "/": it should be "" with PATH_INFO "/" (wsgiref.validate)');
  const asteriskForm = pathInfo === '*' && method === 'OPTIONS'; // RFC 9112 §3.2.4
  if (pathInfo !== '' && !pathInfo.startsWith('/') && !asteriskForm) {
    report.fail('path-info', `PATH_INFO must be empty or start with "/", got ${show(pathInfo)} (PEP 3333 "URL Reconstruction")`);
  }
  const length = env.CONTENT_LENGTH;
  if (length !== undefined && !/^\d+$/.test(length as string)) {
    report.fail('content-length', `CONTENT_LENGTH must be a decimal integer when present, got ${show(length)}`);
  }
}
