// Query strings and urlencoded forms (WHATWG application/x-www-form-urlencoded, the
// format of HTML forms and of QUERY_STRING). QUERY_STRING is a latin-1 environ string:
// its bytes are percent-decoded, then read as UTF-8.

import type { Environ } from '../types.js';

/** Percent-decode one component of a latin-1 string into bytes, '+' as space. */
function decodeComponent(text: string): Buffer {
  const bytes = Buffer.from(text.replace(/\+/g, ' '), 'latin1');
  if (!bytes.includes(0x25 /* % */)) return bytes;
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25 && i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out[n++] = parseInt(String.fromCharCode(bytes[i + 1]!, bytes[i + 2]!), 16);
      i += 2;
    } else out[n++] = b;
  }
  return out.subarray(0, n);
}

function isHex(b: number | undefined): boolean {
  return b !== undefined && ((b >= 48 && b <= 57) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102));
}

/** Parse `a=1&b=%C3%A9&a=2` into URLSearchParams (names and values decoded as UTF-8).
 * Accepts raw UTF-8 text, or latin-1 environ strings when `latin1` is true (the default
 * for QUERY_STRING). Empty pairs are skipped; `a` alone gives a = ''. */
export function parseQueryString(query: string, options: { latin1?: boolean; maxFields?: number } = {}): URLSearchParams {
  const source = options.latin1 === false ? Buffer.from(query, 'utf8').toString('latin1') : query;
  const maxFields = options.maxFields ?? 10_000;
  const params = new URLSearchParams();
  let count = 0;
  for (const pair of source.split('&')) {
    if (pair === '') continue;
    if (++count > maxFields) throw new RangeError(`query: more than ${maxFields} fields`);
    const eq = pair.indexOf('=');
    const name = eq === -1 ? pair : pair.slice(0, eq);
    const value = eq === -1 ? '' : pair.slice(eq + 1);
    params.append(decodeComponent(name).toString('utf8'), decodeComponent(value).toString('utf8'));
  }
  return params;
}

/** The request's QUERY_STRING as URLSearchParams. */
export function queryParams(environ: Environ): URLSearchParams {
  return parseQueryString(String(environ.QUERY_STRING ?? ''));
}

/** Serialize pairs or a record as a query string (UTF-8, percent-encoded, spaces as %20). */
export function encodeQuery(query: URLSearchParams | Record<string, unknown> | Iterable<[string, string]>): string {
  const pairs: [string, string][] = [];
  if (query instanceof URLSearchParams) for (const [k, v] of query) pairs.push([k, v]);
  else if (Symbol.iterator in Object(query)) for (const [k, v] of query as Iterable<[string, string]>) pairs.push([k, v]);
  else {
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [v]) pairs.push([k, String(item)]);
    }
  }
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** Media type and parameters of a Content-Type (RFC 9110 §8.3.1); type lower-cased. */
export function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  if (!value) return { type: '', params: {} };
  const semi = value.indexOf(';');
  const type = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  return { type, params: semi === -1 ? {} : parseParams(value.slice(semi + 1)) };
}

/** `; name=value; name="quoted \" value"` → record with lower-cased names (RFC 9110 §5.6.6). */
export function parseParams(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  const re = /\s*([^=;\s]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*)))?\s*(?:;|$)/gy;
  for (let m = re.exec(text); m !== null && m[0] !== ''; m = re.exec(text)) {
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '').trim();
    params[m[1]!.toLowerCase()] = value;
  }
  return params;
}
