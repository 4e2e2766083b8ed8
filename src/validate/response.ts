// Checks on what the app hands to start_response and write() (PEP 3333 "The
// start_response() Callable", "The write() Callable"), after wsgiref.validate
// check_status, check_headers and check_content_type.

import { show, type Report } from './rules.js';
import { HOP_BY_HOP } from '../util/hop-by-hop.js';

// RFC 9110 §5.6.2: token = 1*tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5: VCHAR, SP, HTAB and obs-text (latin-1 80–FF); no other controls.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Returns the status code. */
export function checkStatus(status: unknown, report: Report): number {
  if (typeof status !== 'string') report.fail('status-type', `status must be a string like "200 OK", got ${show(status)} (PEP 3333 "The start_response() Callable")`);
  const m = /^(\d{3}) (.*)$/s.exec(status);
  if (!m) report.fail('status-form', `status must be a three-digit code, a space and a reason phrase, got ${show(status)} (PEP 3333, RFC 9112 §4)`);
  const code = Number(m[1]);
  if (code < 200 || code > 599) {
    report.fail('status-form', `status code must be 200–599, got ${code}: 1xx responses belong to the server (PEP 3333 "Other HTTP Features")`);
  }
  if (!FIELD_VALUE.test(m[2]!)) report.fail('status-form', `reason phrase must be latin-1 text without control characters, got ${show(m[2])} (RFC 9112 §4)`);
  if (m[2]!.trim() === '') report.warn('status-reason', `status ${show(status)} has no reason phrase`);
  return code;
}

export function checkHeaders(headers: unknown, code: number, report: Report): void {
  if (!Array.isArray(headers)) report.fail('headers-type', `headers must be an array of [name, value] pairs, got ${show(headers)} (PEP 3333 "The start_response() Callable")`);
  let contentType = false;
  headers.forEach((pair: unknown, i: number) => {
    if (!Array.isArray(pair) || pair.length !== 2) report.fail('headers-type', `headers[${i}] must be a [name, value] pair, got ${show(pair)}`);
    const [name, value] = pair as unknown[];
    if (typeof name !== 'string' || !TOKEN.test(name)) report.fail('header-name', `headers[${i}]: name must be an RFC 9110 token, got ${show(name)} (RFC 9110 §5.1)`);
    const lower = name.toLowerCase();
    if (lower === 'status') report.fail('header-name', 'a "Status" header is CGI, not WSGI: pass the status to start_response (wsgiref.validate)');
    if (HOP_BY_HOP.has(lower)) report.fail('header-hop-by-hop', `${name} is a hop-by-hop header, which only the server may set (PEP 3333 "Other HTTP Features")`);
    if (typeof value !== 'string' || !FIELD_VALUE.test(value)) {
      report.fail('header-value', `headers[${i}] (${name}): value must be a latin-1 string without CR, LF, NUL or other controls, got ${show(value)} (PEP 3333 "Unicode Issues", RFC 9110 §5.5)`);
    }
    if (lower === 'content-length' && !/^\d+$/.test(value.trim())) {
      report.fail('content-length', `Content-Length must be a non-negative integer, got ${show(value)} (RFC 9110 §8.6)`);
    }
    if (lower === 'content-type') contentType = true;
  });
  // wsgiref.validate check_content_type makes these errors; RFC 9110 §8.3 only says a
  // sender SHOULD send Content-Type with content, so here they are warnings.
  const noContent = code === 204 || code === 304;
  if (noContent && contentType) report.warn('content-type', `a ${code} response has no content, so Content-Type describes nothing (RFC 9110 §15.3.5, §15.4.5)`);
  if (!noContent && !contentType) report.warn('content-type', `no Content-Type header in a ${code} response (RFC 9110 §8.3: SHOULD)`);
}
