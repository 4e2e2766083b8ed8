// Strict HTTP/1.1 request-head parser (RFC 9112 §2-§6), written for tsgi.
// Like picohttpparser's phr_parse_request it is stateless and never allocates: it
// returns offsets into the caller's buffer, and Complete (bytes consumed), Incomplete
// or Error with the HttpError to answer. It knows nothing of sockets, libuv or Node,
// so the unit test and the fuzzer build it alone.
#pragma once
#include <cstddef>
#include <cstdint>

#include "HttpErrors.h"

namespace tsgi {

// Largest Content-Length accepted: 2^53 - 1, so JavaScript holds it exactly as a number.
constexpr uint64_t kMaxContentLength = 9007199254740991ull;

struct ParserLimits {
  uint32_t maxRequestLine = 8190;  // bytes of the request line without CRLF (414 beyond)
  uint32_t maxHeaderCount = 100;   // field lines (431 beyond)
  uint32_t maxHeaderSize = 16384;  // bytes of the field lines with their CRLFs (431 beyond)
};

struct HeaderField {
  uint32_t nameOffset, nameLength;
  uint32_t valueOffset, valueLength;  // value without leading/trailing OWS
};

struct ParsedHead {
  uint32_t start;   // offset of the request line (leading empty lines skipped)
  uint32_t length;  // bytes from `start` through the empty line ending the head
  uint32_t methodOffset, methodLength;
  uint32_t targetOffset, targetLength;
  uint32_t headerCount;
  uint8_t versionMinor;  // 0 or 1
  bool keepAlive;        // persistence by version and Connection (RFC 9112 §9.3)
  bool chunked;          // Transfer-Encoding: chunked
  uint64_t contentLength;
};

enum class ParseStatus : uint8_t { Complete, Incomplete, Error };

struct ParseResult {
  ParseStatus status;
  HttpError error;  // set when status == Error
  size_t consumed;  // set when Complete: bytes up to and including the head's empty line
};

// Where a previous Incomplete call stopped looking for the end of the head, so that a
// head arriving one byte at a time is scanned once, not once per byte (slowloris).
// The first call parses at once (most heads arrive whole); after one ran out of bytes,
// later calls parse only once the end of the head may have arrived.
struct HeadScanState {
  size_t scanned = 0;
  bool parsedOnce = false;
  void reset() {
    scanned = 0;
    parsedOnce = false;
  }
};

// Parses one request head at the start of buf. `fields` must hold limits.maxHeaderCount
// entries. `scan` may be null (then the whole buffer is examined every call).
ParseResult parseRequestHead(const char* buf, size_t len, const ParserLimits& limits,
                             ParsedHead* head, HeaderField* fields, HeadScanState* scan);

}  // namespace tsgi
