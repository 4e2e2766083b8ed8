// Validation of what the app passes to start_response (PEP 3333 "The start_response()
// Callable"; RFC 9110 §5.1, §5.5; RFC 9112 §4). Anything that could put bytes the app did
// not mean on the wire — CR, LF, NUL, non-latin-1 — is a TypeError, never output.

import { InvalidHeaderError, InvalidStatusError } from './errors.js';

// RFC 9110 §5.6.2: token = 1*tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5: field-value = *field-content; VCHAR, SP, HTAB, obs-text (latin-1 80–FF).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const ASCII_VALUE = /^[\t\x20-\x7e]*$/;
// RFC 9112 §4: status-code SP reason-phrase, reason-phrase = *( HTAB / SP / VCHAR / obs-text ).
const STATUS = /^[2-5]\d\d [\t\x20-\x7e\x80-\xff]*$/;

/** PEP 3333 "Other HTTP Features": hop-by-hop headers belong to the server. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade',
]);

export function checkStatus(status: unknown): string {
  if (typeof status !== 'string') throw new InvalidStatusError(`status must be a string like "200 OK", got ${typeof status}`);
  if (!STATUS.test(status)) {
    throw new InvalidStatusError(`status must be "NNN Reason" with a final status 200-599 and latin-1 text, got ${JSON.stringify(status)}`);
  }
  return status;
}

/** What the server needs to know about the app's headers. */
export interface CheckedHeaders {
  /** Flat [name, value, …], Content-Length removed (the engine writes framing). */
  flat: string[];
  /** Content-Length the app declared, or -1. */
  contentLength: number;
  hasDate: boolean;
  hasServer: boolean;
  /** Every name and value is ASCII (engines that encode strings as UTF-8 need to know). */
  ascii: boolean;
}

/** Values already proven ASCII-clean. Apps send the same few values (content types,
 * cache policies) on every response: a Set lookup of an internalized string is cheaper
 * than a regex scan. Bounded, so varying values cannot grow it without limit. */
const knownValues = new Set<string>();
const KNOWN_VALUES_MAX = 512;

export function checkHeaders(headers: unknown): CheckedHeaders {
  if (!Array.isArray(headers)) throw new InvalidHeaderError(`headers must be an array of [name, value] pairs, got ${typeof headers}`);
  const flat: string[] = [];
  let contentLength = -1;
  let hasDate = false;
  let hasServer = false;
  let ascii = true;
  for (let i = 0; i < headers.length; i++) {
    const pair: unknown = headers[i];
    if (!Array.isArray(pair) || pair.length !== 2) throw new InvalidHeaderError(`headers[${i}] must be a [name, value] pair`);
    const name: unknown = pair[0];
    const value: unknown = pair[1];
    if (typeof name !== 'string' || !TOKEN.test(name)) {
      throw new InvalidHeaderError(`headers[${i}]: name must be an RFC 9110 token, got ${JSON.stringify(name)}`);
    }
    if (typeof value !== 'string') throw new InvalidHeaderError(`headers[${i}] (${name}): value must be a string, got ${typeof value}`);
    if (!knownValues.has(value)) {
      if (ASCII_VALUE.test(value)) {
        if (value.length <= 256 && knownValues.size < KNOWN_VALUES_MAX) knownValues.add(value);
      } else if (FIELD_VALUE.test(value)) ascii = false;
      else throw new InvalidHeaderError(`headers[${i}] (${name}): value must be a latin-1 string without CR, LF, NUL or other control characters, got ${JSON.stringify(value)}`);
    }
    // Most names are short and not special: test the first letter before lower-casing.
    const c = name.charCodeAt(0) | 0x20;
    if (c === 0x63 /* c */ || c === 0x64 /* d */ || c === 0x73 /* s */ || c === 0x6b /* k */ || c === 0x70 /* p */ || c === 0x74 /* t */ || c === 0x75 /* u */) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) throw new InvalidHeaderError(`headers[${i}]: ${name} is a hop-by-hop header, which only the server may set (PEP 3333)`);
      if (lower === 'content-length') {
        const v = value.trim();
        if (!/^\d{1,15}$/.test(v) || (contentLength !== -1 && Number(v) !== contentLength)) {
          throw new InvalidHeaderError(`headers[${i}]: Content-Length must be one non-negative integer, got ${JSON.stringify(value)}`);
        }
        contentLength = Number(v);
        continue;
      }
      if (lower === 'date') hasDate = true;
      else if (lower === 'server') hasServer = true;
    }
    flat.push(name, value);
  }
  return { flat, contentLength, hasDate, hasServer, ascii };
}
