// Validation of what the app passes to start_response (PEP 3333 "The start_response()
// Callable"; RFC 9110 §5.1, §5.5; RFC 9112 §4). Anything that could put bytes the app did
// not mean on the wire — CR, LF, NUL, non-latin-1 — is a TypeError, never output.

import { InvalidHeaderError, InvalidStatusError } from './errors.js';
import { HOP_BY_HOP } from './util/hop-by-hop.js';

// RFC 9110 §5.6.2: token = 1*tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5: field-value = *field-content; VCHAR, SP, HTAB, obs-text (latin-1 80–FF).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const ASCII_VALUE = /^[\t\x20-\x7e]*$/;
// RFC 9112 §4: status-code SP reason-phrase, reason-phrase = *( HTAB / SP / VCHAR / obs-text ).
const STATUS = /^[2-5]\d\d [\t\x20-\x7e\x80-\xff]*$/;


/** Statuses already checked, with whether they are ASCII (apps use a handful), and the
 * last one (most responses repeat it: a comparison instead of a map lookup). */
const knownStatuses = new Map<string, boolean>();
let lastStatus: unknown = {}; // nothing an app can pass
let lastStatusAscii = true;

/** Validates a status; returns true when it is pure ASCII. */
export function checkStatus(status: unknown): boolean {
  if (status === lastStatus) return lastStatusAscii;
  if (typeof status !== 'string') throw new InvalidStatusError(`status must be a string like "200 OK", got ${typeof status}`);
  const known = knownStatuses.get(status);
  if (known !== undefined) {
    lastStatus = status;
    lastStatusAscii = known;
    return known;
  }
  if (!STATUS.test(status)) {
    throw new InvalidStatusError(`status must be "NNN Reason" with a final status 200-599 and latin-1 text, got ${JSON.stringify(status)}`);
  }
  const ascii = ASCII_VALUE.test(status);
  if (knownStatuses.size < KNOWN_MAX) knownStatuses.set(status, ascii);
  lastStatus = status;
  lastStatusAscii = ascii;
  return ascii;
}

/** What the server needs to know about the app's headers; filled in by checkHeaders. */
export interface CheckedHeaders {
  /** Flat [name, value, …], Content-Length removed (the engine writes framing). */
  headers: string[];
  /** Content-Length the app declared, or -1. */
  appContentLength: number;
  hasDate: boolean;
  hasServer: boolean;
  /** Every name and value is ASCII (engines that encode strings as UTF-8 need to know). */
  ascii: boolean;
}

const enum NameKind { Plain, ContentLength, Date, Server }

/** Names and values already proven valid. Apps send the same few (content types, cache
 * policies) on every response: a lookup of an internalized string is cheaper than a
 * regex scan. Bounded, so varying input cannot grow them without limit. */
const knownNames = new Map<string, NameKind>();
const knownValues = new Set<string>();
const KNOWN_MAX = 512;

function classifyName(name: unknown, i: number): NameKind {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new InvalidHeaderError(`headers[${i}]: name must be an RFC 9110 token, got ${JSON.stringify(name)}`);
  }
  const lower = name.toLowerCase();
  if (HOP_BY_HOP.has(lower)) throw new InvalidHeaderError(`headers[${i}]: ${name} is a hop-by-hop header, which only the server may set (PEP 3333)`);
  const kind = lower === 'content-length' ? NameKind.ContentLength : lower === 'date' ? NameKind.Date : lower === 'server' ? NameKind.Server : NameKind.Plain;
  if (knownNames.size < KNOWN_MAX) knownNames.set(name, kind);
  return kind;
}

/** The last header list validated (flat, as the app gave it) and its result. Most apps
 * send the same names and values on every response: a repeat then costs one comparison
 * per string and allocates nothing. The result's `headers` array is shared, so nobody
 * may mutate a ResponseHead's headers (engines copy before adding their own). */
let memoInput: unknown[] = [];
let memoServer: string | undefined;
const memo: CheckedHeaders = { headers: [], appContentLength: -1, hasDate: false, hasServer: false, ascii: true };

function fromMemo(headers: unknown[], serverHeader: string | undefined, out: CheckedHeaders): boolean {
  const n = headers.length;
  if (n * 2 !== memoInput.length || serverHeader !== memoServer) return false;
  for (let i = 0; i < n; i++) {
    const pair: unknown = headers[i];
    if (!Array.isArray(pair) || pair.length !== 2 || pair[0] !== memoInput[2 * i] || pair[1] !== memoInput[2 * i + 1]) return false;
  }
  copyChecked(memo, out);
  return true;
}

function copyChecked(from: CheckedHeaders, to: CheckedHeaders): void {
  to.headers = from.headers;
  to.appContentLength = from.appContentLength;
  to.hasDate = from.hasDate;
  to.hasServer = from.hasServer;
  to.ascii = from.ascii;
}

/** Validate start_response's headers into `out`. With `serverHeader`, a `Server` field
 * is appended unless the app set its own (RFC 9110 §10.2.4). */
export function checkHeaders(headers: unknown, out: CheckedHeaders, serverHeader?: string): void {
  if (!Array.isArray(headers)) throw new InvalidHeaderError(`headers must be an array of [name, value] pairs, got ${typeof headers}`);
  if (fromMemo(headers, serverHeader, out)) return;
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
    const kind = knownNames.get(name as string) ?? classifyName(name, i);
    if (typeof value !== 'string') throw new InvalidHeaderError(`headers[${i}] (${name as string}): value must be a string, got ${typeof value}`);
    if (!knownValues.has(value)) {
      if (ASCII_VALUE.test(value)) {
        if (value.length <= 256 && knownValues.size < KNOWN_MAX) knownValues.add(value);
      } else if (FIELD_VALUE.test(value)) ascii = false;
      else throw new InvalidHeaderError(`headers[${i}] (${name as string}): value must be a latin-1 string without CR, LF, NUL or other control characters, got ${JSON.stringify(value)}`);
    }
    if (kind !== NameKind.Plain) {
      if (kind === NameKind.ContentLength) {
        const v = value.trim();
        if (!/^\d{1,15}$/.test(v) || (contentLength !== -1 && Number(v) !== contentLength)) {
          throw new InvalidHeaderError(`headers[${i}]: Content-Length must be one non-negative integer, got ${JSON.stringify(value)}`);
        }
        contentLength = Number(v);
        continue;
      }
      if (kind === NameKind.Date) hasDate = true;
      else hasServer = true;
    }
    flat.push(name as string, value);
  }
  if (!hasServer && serverHeader !== undefined) flat.push('Server', serverHeader);
  memoInput = [];
  for (let i = 0; i < headers.length; i++) memoInput.push((headers[i] as unknown[])[0], (headers[i] as unknown[])[1]);
  memoServer = serverHeader;
  memo.headers = flat;
  memo.appContentLength = contentLength;
  memo.hasDate = hasDate;
  memo.hasServer = hasServer;
  memo.ascii = ascii;
  copyChecked(memo, out);
}
