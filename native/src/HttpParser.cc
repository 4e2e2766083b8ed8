// Strict request-head parser. Every rejection below names the rule it enforces.
#include "HttpParser.h"

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "CharClasses.h"

namespace tsgi {
namespace {

using uchar = unsigned char;

ParseResult incomplete(size_t discardable = 0) {
  return {ParseStatus::Incomplete, HttpError::None, discardable};
}
ParseResult fail(HttpError e) { return {ParseStatus::Error, e, 0}; }

bool equalsLower(const uchar* s, size_t n, const char* lower, size_t lowerLen) {
  if (n != lowerLen) return false;
  for (size_t i = 0; i < n; i++)
    if (asciiLower(s[i]) != static_cast<uchar>(lower[i])) return false;
  return true;
}

bool isOws(uchar c) { return c == ' ' || c == '\t'; }

// The two longest runs of a head are scanned 16 bytes at a time where SSE2 exists (every
// x86-64); the byte tables decide the rest, and stay the definition of each class.

// First byte at or after p, before end, that is not field-value (RFC 9110 §5.5: VCHAR,
// obs-text, SP, HTAB): a CTL other than HTAB, or DEL.
const uchar* skipFieldValue(const uchar* p, const uchar* end) {
#if defined(__SSE2__)
  const __m128i maxCtl = _mm_set1_epi8(0x1f), tab = _mm_set1_epi8(0x09), del = _mm_set1_epi8(0x7f);
  for (; end - p >= 16; p += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i ctl = _mm_cmpeq_epi8(_mm_subs_epu8(v, maxCtl), _mm_setzero_si128());  // v <= 0x1f
    __m128i bad = _mm_or_si128(_mm_andnot_si128(_mm_cmpeq_epi8(v, tab), ctl), _mm_cmpeq_epi8(v, del));
    int mask = _mm_movemask_epi8(bad);
    if (mask != 0) return p + __builtin_ctz(unsigned(mask));
  }
#endif
  while (p < end && isClass(*p, kFieldValue)) p++;
  return p;
}

// First byte at or after p, before end, that is not a request-target byte (VCHAR except
// "#"; RFC 9112 §3.2): SP, CTL, DEL, "#" or a byte >= 0x80.
const uchar* skipTarget(const uchar* p, const uchar* end) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f), hash = _mm_set1_epi8('#');
  for (; end - p >= 16; p += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Signed compares: bytes >= 0x80 are negative, so they fail "> 0x20".
    __m128i good = _mm_and_si128(_mm_cmpgt_epi8(v, space), _mm_cmplt_epi8(v, del));
    __m128i bad = _mm_or_si128(_mm_cmpeq_epi8(good, _mm_setzero_si128()), _mm_cmpeq_epi8(v, hash));
    int mask = _mm_movemask_epi8(bad);
    if (mask != 0) return p + __builtin_ctz(unsigned(mask));
  }
#endif
  while (p < end && isClass(*p, kTarget)) p++;
  return p;
}

// Host = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2): an IP-literal in
// brackets, or a reg-name of unreserved, pct-encoded and sub-delims bytes; then an
// optional ":" and digits. Anything else (SP, "/", "@", quotes, a second ":") is "a Host
// header field with an invalid field value" (RFC 9112 §3.2): 400. The same rule as
// hostIsValid in src/engines/http-rules.ts, so every engine gives the same verdict.
bool isValidHostValue(const uchar* s, size_t n) {
  size_t i = 0;
  if (n && s[0] == '[') {
    // IP-literal: hex digits, ":" and "." (IPv6, IPv4-embedded); at least one byte.
    for (i = 1; i < n && s[i] != ']'; i++)
      if (!isClass(s[i], kHex) && s[i] != ':' && s[i] != '.') return false;
    if (i == n || i == 1) return false;
    i++;  // the "]"
  } else {
    while (i < n && isClass(s[i], kHost) && s[i] != ':' && s[i] != '[' && s[i] != ']') i++;
  }
  if (i == n) return true;
  if (s[i] != ':') return false;
  for (i++; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// The four forms of request-target (RFC 9112 §3.2): origin-form "/..." for any method,
// asterisk-form "*" only with OPTIONS (§3.2.4), authority-form only with CONNECT (§3.2.3),
// absolute-form "scheme://..." (§3.2.2; the gateway maps it). Anything else is invalid.
bool isValidTargetForm(const uchar* method, size_t methodLen, const uchar* t, size_t n) {
  if (t[0] == '/') return true;
  if (n == 1 && t[0] == '*') return methodLen == 7 && std::memcmp(method, "OPTIONS", 7) == 0;
  if (methodLen == 7 && std::memcmp(method, "CONNECT", 7) == 0) {
    // authority = host ":" port; no path, query or userinfo.
    for (size_t i = 0; i < n; i++)
      if (!isClass(t[i], kHost)) return false;
    return true;
  }
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1), then "://":
  // the hierarchical form of http(s) URIs, which also tells it from "host:port".
  size_t i = 0;
  auto alpha = [](uchar c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(t[0])) return false;
  while (i < n && (alpha(t[i]) || (t[i] >= '0' && t[i] <= '9') || t[i] == '+' || t[i] == '-' || t[i] == '.')) i++;
  if (!(n - i > 3 && t[i] == ':' && t[i + 1] == '/' && t[i + 2] == '/')) return false;
  // The authority (up to "/", "?" or the end) becomes the request's host (RFC 9112
  // §3.2.2: it replaces any Host field), so it obeys the Host rule above. Userinfo ("@")
  // fails it, as RFC 9110 §4.2.4 asks ("treat its presence as an error"); an empty host
  // is invalid for http(s) URIs (RFC 9110 §4.2.1).
  const uchar* a = t + i + 3;
  size_t len = 0;
  while (i + 3 + len < n && a[len] != '/' && a[len] != '?') len++;
  return len > 0 && a[0] != ':' && isValidHostValue(a, len);
}

// Calls fn(element, length) for each non-empty element of a #list (RFC 9110 §5.6.1),
// with OWS around elements removed. Returns false if fn does.
template <class Fn>
bool forEachListElement(const uchar* s, size_t n, Fn fn) {
  size_t i = 0;
  while (i <= n) {
    size_t j = i;
    while (j < n && s[j] != ',') j++;
    size_t a = i, b = j;
    while (a < b && isOws(s[a])) a++;
    while (b > a && isOws(s[b - 1])) b--;
    if (b > a && !fn(s + a, b - a)) return false;
    i = j + 1;
  }
  return true;
}

bool isToken(const uchar* s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isClass(s[i], kToken)) return false;
  return n > 0;
}

// What the field lines said about framing and persistence.
struct HeadSemantics {
  bool hasContentLength = false;
  uint64_t contentLength = 0;
  bool transferEncoding = false;  // at least one Transfer-Encoding field line
  bool chunkedLast = false;       // the last coding seen so far is chunked
  bool chunkedSeen = false;
  bool otherCoding = false;       // a coding other than chunked
  uint32_t hostCount = 0;
  bool connectionClose = false;
  bool connectionKeepAlive = false;
};

HttpError applyField(const uchar* name, size_t nameLen, const uchar* value, size_t valueLen,
                     HeadSemantics& s) {
  switch (nameLen) {
    case 4:
      if (equalsLower(name, nameLen, "host", 4)) {
        // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to
        // any HTTP/1.1 request message that lacks a Host header field and to any request
        // message that contains more than one Host header field line or a Host header
        // field with an invalid field value."
        if (++s.hostCount > 1 || !isValidHostValue(value, valueLen)) return HttpError::BadRequest;
      }
      break;
    case 10:
      if (equalsLower(name, nameLen, "connection", 10)) {
        // RFC 9110 §7.6.1: Connection = #connection-option; "close" ends persistence
        // (RFC 9112 §9.6), "keep-alive" asks for it on HTTP/1.0 (RFC 9112 §9.3 / C.2.2).
        forEachListElement(value, valueLen, [&](const uchar* e, size_t n) {
          if (equalsLower(e, n, "close", 5)) s.connectionClose = true;
          else if (equalsLower(e, n, "keep-alive", 10)) s.connectionKeepAlive = true;
          return true;
        });
      }
      break;
    case 14:
      if (equalsLower(name, nameLen, "content-length", 14)) {
        // RFC 9110 §8.6: Content-Length = 1*DIGIT. "a recipient MAY either reject the
        // message as invalid or replace the duplicated field values with a single valid
        // Content-Length field". tsgi rejects every repeat, identical or not, and every
        // list ("5, 5"): an intermediary that kept the other copy would frame the stream
        // differently, which is the request-smuggling shape §6.3 warns about.
        if (s.hasContentLength || valueLen == 0) return HttpError::BadRequest;
        uint64_t v = 0;
        for (size_t i = 0; i < valueLen; i++) {
          uchar c = value[i];
          if (c < '0' || c > '9') return HttpError::BadRequest;
          v = v * 10 + (c - '0');
          if (v > kMaxContentLength) return HttpError::BadRequest;  // also stops overflow
        }
        s.hasContentLength = true;
        s.contentLength = v;
      }
      break;
    case 17:
      if (equalsLower(name, nameLen, "transfer-encoding", 17)) {
        // RFC 9112 §6.1: Transfer-Encoding = #transfer-coding, applied in order; chunked
        // "MUST NOT" be applied more than once (§7) and must be final in a request (§6.3).
        s.transferEncoding = true;
        bool ok = forEachListElement(value, valueLen, [&](const uchar* e, size_t n) {
          if (equalsLower(e, n, "chunked", 7)) {
            if (s.chunkedSeen) return false;
            s.chunkedSeen = s.chunkedLast = true;
          } else {
            // A coding with parameters ("gzip;q=1") or junk is not a token: malformed.
            if (!isToken(e, n)) return false;
            s.otherCoding = true;
            s.chunkedLast = false;
          }
          return true;
        });
        if (!ok) return HttpError::BadRequest;
      }
      break;
    default:
      break;
  }
  return HttpError::None;
}

// Checks framing once every field line is known (RFC 9112 §6.1, §6.3).
HttpError finishSemantics(const HeadSemantics& s, uint8_t minor, ParsedHead* head) {
  if (s.transferEncoding) {
    // §6.1: "A server or client that receives an HTTP/1.0 message containing a
    // Transfer-Encoding header field MUST treat the message as if the framing is faulty".
    if (minor == 0) return HttpError::BadRequest;
    // §6.3 rule 3: TE and CL together "ought to be handled as an error"; a server MAY
    // reject it, and tsgi does, because it is the classic smuggling shape.
    if (s.hasContentLength) return HttpError::BadRequest;
    // §6.3 rule 4: "If a Transfer-Encoding header field is present in a request and the
    // chunked transfer coding is not the final encoding, ... the server MUST respond
    // with the 400 (Bad Request) status code and then close the connection."
    if (!s.chunkedLast) return HttpError::BadRequest;
    // §6.1: a coding we do not implement before chunked (e.g. "gzip, chunked"):
    // "SHOULD respond with the 501 (Not Implemented) status code".
    if (s.otherCoding) return HttpError::NotImplemented;
  }
  if (minor == 1 && s.hostCount != 1) return HttpError::BadRequest;  // §3.2, see above
  head->chunked = s.transferEncoding;
  head->contentLength = s.hasContentLength ? s.contentLength : 0;
  // §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
  head->keepAlive = !s.connectionClose && (minor == 1 || s.connectionKeepAlive);
  return HttpError::None;
}

// Looks for the empty line that ends the head, from where the last call stopped.
// Returns true when a full parse is worth running: the end was found, or a bare LF
// proves the head invalid.
bool headMayBeComplete(const uchar* b, size_t start, size_t len, HeadScanState* scan) {
  size_t i = scan && scan->scanned > start ? scan->scanned : start;
  while (i < len) {
    const void* hit = std::memchr(b + i, '\n', len - i);
    if (!hit) break;
    size_t lf = static_cast<const uchar*>(hit) - b;
    if (lf == start || b[lf - 1] != '\r') return true;  // bare LF: the parser rejects it
    if (lf + 1 >= len || (lf + 2 >= len && b[lf + 1] == '\r')) {
      if (scan) scan->scanned = lf;  // look at this line end again when more arrives
      return false;
    }
    if (b[lf + 1] == '\r') return true;  // CRLF CRLF, or a bare CR the parser rejects
    i = lf + 1;
  }
  if (scan) scan->scanned = len;
  return false;
}

}  // namespace

ParseResult parseRequestHead(const char* buf, size_t len, const ParserLimits& limits,
                             ParsedHead* head, HeaderField* fields, HeadScanState* scan) {
  const uchar* b = reinterpret_cast<const uchar*>(buf);
  // RFC 9112 §2.2: "a server that is expecting to receive and parse a request-line
  // SHOULD ignore at least one empty line (CRLF) received prior to the request-line."
  // tsgi ignores any number; they are reported as discardable so they never pile up.
  size_t start = 0;
  while (start < len && b[start] == '\r') {
    if (start + 1 >= len) return incomplete(start);
    if (b[start + 1] != '\n') return fail(HttpError::BadRequest);  // bare CR, §2.2
    start += 2;
  }
  if (start == len) return incomplete(start);

  // Request line (RFC 9112 §3): method SP request-target SP HTTP-version CRLF.
  const void* lfHit = std::memchr(b + start, '\n', len - start);
  if (!lfHit) {
    if (len - start > size_t(limits.maxRequestLine) + 1) return fail(HttpError::UriTooLong);
    return incomplete(0);
  }
  size_t lf = static_cast<const uchar*>(lfHit) - b;
  // §3: "A server that receives a request-target longer than any URI it wishes to parse
  // MUST respond with a 414 (URI Too Long) status code" — applied to the whole line,
  // and checked first so the verdict does not depend on whether the LF has arrived.
  if (lf - start > size_t(limits.maxRequestLine) + 1) return fail(HttpError::UriTooLong);
  if (lf == start || b[lf - 1] != '\r') return fail(HttpError::BadRequest);  // bare LF, §2.2
  size_t cr = lf - 1;
  // When the field lines already exceed the limit, parse what is there instead of
  // waiting for their end: the verdict (400 for a bad byte, else 431) is then the same
  // however the bytes were split.
  const bool fieldsTooLong = len - (lf + 1) > size_t(limits.maxHeaderSize) + 2;
  // Most heads arrive whole, so the first call parses at once. A head that trickles in
  // is then parsed again only when its end may be there: one scan per byte received,
  // not one parse per byte (slowloris).
  const bool optimistic = !fieldsTooLong && !(scan && scan->parsedOnce);
  if (!fieldsTooLong && !optimistic && !headMayBeComplete(b, start, len, scan)) return incomplete(0);
  auto needMore = [fieldsTooLong, scan]() {
    if (scan) scan->parsedOnce = true;
    return fieldsTooLong ? fail(HttpError::HeadersTooLarge) : incomplete(0);
  };
  // An error found by the optimistic parse counts only if the head may be complete, as
  // it would have without it: the verdict never depends on how the bytes were split.
  auto reject = [&](HttpError e) {
    if (optimistic && !headMayBeComplete(b, start, len, scan)) return needMore();
    return fail(e);
  };

  size_t p = start;
  while (p < cr && isClass(b[p], kToken)) p++;  // method = token (RFC 9110 §9.1)
  if (p == start || p >= cr || b[p] != ' ') return reject(HttpError::BadRequest);
  head->methodOffset = uint32_t(start);
  head->methodLength = uint32_t(p - start);
  size_t t0 = ++p;
  // request-target: no whitespace or CTL inside (§3.2); exactly one SP around it (§3).
  // Only ASCII: "Recipients of an invalid request-line SHOULD respond with ... 400"; a
  // raw byte >= 0x80 or a "#" fragment makes the target invalid.
  p = size_t(skipTarget(b + p, b + cr) - b);
  if (p == t0 || p >= cr || b[p] != ' ') return reject(HttpError::BadRequest);
  if (!isValidTargetForm(b + start, head->methodLength, b + t0, p - t0)) return reject(HttpError::BadRequest);
  head->targetOffset = uint32_t(t0);
  head->targetLength = uint32_t(p - t0);
  p++;
  // HTTP-version = "HTTP" "/" DIGIT "." DIGIT (§2.3), case-sensitive.
  if (cr - p != 8 || b[p] != 'H' || b[p + 1] != 'T' || b[p + 2] != 'T' || b[p + 3] != 'P' || b[p + 4] != '/' ||
      b[p + 6] != '.') {
    return reject(HttpError::BadRequest);
  }
  uchar major = b[p + 5], minor = b[p + 7];
  if (major < '0' || major > '9' || minor < '0' || minor > '9') return reject(HttpError::BadRequest);
  // RFC 9110 §15.6.6: 505 for a major version we do not support. A higher minor
  // version of HTTP/1 is processed "as if it were in the highest minor version within
  // that major version to which the recipient is conformant" (RFC 9110 §2.5): 1.1.
  if (major != '1') return reject(HttpError::VersionNotSupported);
  head->versionMinor = minor == '0' ? 0 : 1;

  // Field lines (RFC 9112 §5): field-name ":" OWS field-value OWS CRLF.
  p = lf + 1;
  const size_t fieldsStart = p;
  // Bytes past the limit are never examined: a head that needs them gets 431, whether
  // or not they have arrived yet (the fuzzer checks that splits never change a verdict).
  const size_t end = fieldsTooLong ? fieldsStart + limits.maxHeaderSize + 2 : len;
  uint32_t count = 0;
  HeadSemantics sem;
  for (;;) {
    if (p >= end) return needMore();
    uchar c = b[p];
    if (c == '\r') {
      if (p + 1 >= end) return needMore();
      if (b[p + 1] != '\n') return reject(HttpError::BadRequest);  // bare CR, §2.2
      p += 2;
      break;
    }
    // §5.2: "A server that receives an obs-fold in a request message ... MUST either
    // reject the message by sending a 400 (Bad Request)" — tsgi rejects. A field line
    // starting with whitespace right after the request line is rejected too (§2.2).
    if (c == ' ' || c == '\t') return reject(HttpError::BadRequest);
    size_t n0 = p;
    while (p < end && isClass(b[p], kToken)) p++;  // field-name = token (RFC 9110 §5.1)
    if (p >= end) return needMore();
    // §5.1: "A server MUST reject, with a response status code of 400 (Bad Request),
    // any received request message that contains whitespace between a header field
    // name and colon." Any other non-token byte (NUL, CTL, "@") is invalid as well.
    if (p == n0 || b[p] != ':') return reject(HttpError::BadRequest);
    size_t nameLen = p - n0;
    p++;
    while (p < end && isOws(b[p])) p++;
    size_t v0 = p;
    // field-value bytes (RFC 9110 §5.5): VCHAR, obs-text, SP, HTAB. NUL, other CTLs,
    // bare CR and bare LF are rejected ("MUST either reject the message or replace").
    p = size_t(skipFieldValue(b + p, b + end) - b);
    if (p + 1 >= end) return needMore();
    if (b[p] != '\r' || b[p + 1] != '\n') return reject(HttpError::BadRequest);
    size_t v1 = p;
    while (v1 > v0 && isOws(b[v1 - 1])) v1--;
    p += 2;
    if (p - fieldsStart > limits.maxHeaderSize) return reject(HttpError::HeadersTooLarge);
    if (count >= limits.maxHeaderCount) return reject(HttpError::HeadersTooLarge);
    fields[count] = {uint32_t(n0), uint32_t(nameLen), uint32_t(v0), uint32_t(v1 - v0)};
    count++;
    HttpError e = applyField(b + n0, nameLen, b + v0, v1 - v0, sem);
    if (e != HttpError::None) return reject(e);
  }
  HttpError e = finishSemantics(sem, head->versionMinor, head);
  if (e != HttpError::None) return reject(e);
  head->headerCount = count;
  head->start = uint32_t(start);
  head->length = uint32_t(p - start);
  return {ParseStatus::Complete, HttpError::None, p};
}

}  // namespace tsgi
