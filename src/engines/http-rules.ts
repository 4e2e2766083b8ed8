// The request rules of RFC 9112 in JavaScript, for the engines whose parser does not apply
// them (node: llhttp; uws: uWebSockets.js; memory: no parser at all). They mirror the C++
// parser's (native/src/HttpParser.cc applyField / finishSemantics) verdict for verdict,
// and both run the same table of cases: test/rules/request-rules.tsv.

/** What the rules read from a request head. Engines that see only some fields say so
 * (uws shows the first Host field only: hostCount is then 0 or 1). */
export interface RequestFacts {
  method: string;
  target: string;
  versionMajor: number;
  versionMinor: number;
  /** Host field lines, and the first one's value. */
  hostCount: number;
  host: string | undefined;
  /** Every Transfer-Encoding field value joined with ",", undefined when none. */
  transferEncoding: string | undefined;
  /** Content-Length field lines, and the first one's value. */
  contentLengthCount: number;
  contentLength: string | undefined;
}

/** The facts of a head whose fields can all be listed, as flat [name, value, …] (node's
 * rawHeaders, plain heads). */
export function factsOf(method: string, target: string, versionMajor: number, versionMinor: number, fields: readonly string[]): RequestFacts {
  const f: RequestFacts = {
    method, target, versionMajor, versionMinor, hostCount: 0, host: undefined, transferEncoding: undefined, contentLengthCount: 0, contentLength: undefined,
  };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!;
    if (name.length !== 4 && name.length !== 14 && name.length !== 17) continue;
    const lower = name.toLowerCase();
    const value = fields[i + 1]!;
    if (lower === 'host') {
      if (f.hostCount++ === 0) f.host = value;
    } else if (lower === 'content-length') {
      if (f.contentLengthCount++ === 0) f.contentLength = value;
    } else if (lower === 'transfer-encoding') {
      f.transferEncoding = f.transferEncoding === undefined ? value : f.transferEncoding + ',' + value;
    }
  }
  return f;
}

/** RFC 9110 §7.2: Host = uri-host [ ":" port ] (RFC 3986 §3.2.2); it may be empty. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::\d*)?$/;

/** One Host field value, by the rule above (HttpParser.cc isValidHostValue). */
export function hostValueIsValid(value: string): boolean {
  return HOST.test(value);
}

/** RFC 9112 §3.2.2 absolute-form: scheme "://" authority, then path and query. */
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/;

/** RFC 9112 §3.2: the request-target forms, each for its methods; the authority of an
 * absolute-form (or authority-form, §3.2.3) target is held to RFC 3986 §3.2.2 like Host,
 * must name a host (RFC 9110 §4.2.1: an empty host "MUST" be rejected as invalid) and
 * carries no userinfo (RFC 9110 §4.2.4). */
export function targetIsValid(method: string, target: string): boolean {
  const first = target.charCodeAt(0);
  if (first === 0x2f /* / */) return target.indexOf('#') === -1; // §3.2: no fragment
  if (target === '*') return method === 'OPTIONS'; // §3.2.4
  let authority: string;
  if (method === 'CONNECT') authority = target; // §3.2.3: uri-host ":" port
  else {
    const m = ABSOLUTE.exec(target);
    if (m === null || target.indexOf('#') !== -1) return false;
    authority = m[1]!;
  }
  return authority.length > 0 && authority.charCodeAt(0) !== 0x3a /* : */ && HOST.test(authority);
}

/** RFC 9110 §8.6: Content-Length = 1*DIGIT, at most 2^53 - 1 (HttpParser.h
 * kMaxContentLength: JavaScript holds it exactly). */
const DIGITS = /^\d+$/;
function lengthIsValid(value: string): boolean {
  return DIGITS.test(value) && (value.length < 16 || Number(value) <= Number.MAX_SAFE_INTEGER);
}

/** RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The status to refuse a request with (400, 501, 505), or 0 to accept it. */
export function requestStatus(f: RequestFacts): number {
  // HTTP/0.9 has no headers to frame anything with; RFC 9110 §15.6.6: 505 for a major
  // version we do not support (a higher minor of 1 is served as 1.1).
  if (f.versionMajor !== 1) return f.versionMajor === 0 ? 400 : 505;
  if (!targetIsValid(f.method, f.target)) return 400;
  // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any
  // HTTP/1.1 request message that lacks a Host header field and to any request message
  // that contains more than one Host header field line or a Host header field with an
  // invalid field value."
  if (f.hostCount > 1 || (f.host !== undefined && !HOST.test(f.host))) return 400;
  // RFC 9110 §8.6: tsgi refuses every repeated Content-Length, identical or not, and
  // every list ("5, 5"), as the C++ parser: no intermediary can frame it differently.
  if (f.contentLengthCount > 1 || (f.contentLength !== undefined && !lengthIsValid(f.contentLength.trim()))) return 400;
  if (f.transferEncoding !== undefined) {
    // RFC 9112 §6.1: codings applied in order; chunked at most once (§7); a coding with
    // parameters or junk is not a token: malformed.
    let chunkedSeen = false;
    let chunkedLast = false;
    let other = false;
    for (const part of f.transferEncoding.split(',')) {
      const coding = part.trim();
      if (coding === '') continue; // RFC 9110 §5.6.1: empty list elements are ignored
      if (coding.toLowerCase() === 'chunked') {
        if (chunkedSeen) return 400;
        chunkedSeen = chunkedLast = true;
      } else {
        if (!TOKEN.test(coding)) return 400;
        other = true;
        chunkedLast = false;
      }
    }
    // §6.1: "A server or client that receives an HTTP/1.0 message containing a
    // Transfer-Encoding header field MUST treat the message as if the framing is faulty".
    if (f.versionMinor === 0) return 400;
    // §6.3 rule 3: Transfer-Encoding with Content-Length is the smuggling shape: refused.
    if (f.contentLengthCount > 0) return 400;
    // §6.3 rule 4: chunked must be the final coding of a request, else 400.
    if (!chunkedLast) return 400;
    // §6.1: a coding we do not implement before chunked: 501.
    if (other) return 501;
  }
  if (f.versionMinor >= 1 && f.hostCount !== 1) return 400;
  return 0;
}

/** Request body framing of an accepted request (RFC 9112 §6.3; Exchange.bodyLength):
 * -1 for chunked, else the Content-Length, else 0. */
export function requestBodyLength(f: RequestFacts): number {
  if (f.transferEncoding !== undefined) return -1;
  return f.contentLength === undefined ? 0 : Number(f.contentLength.trim());
}
