// Rejections the engine answers by itself, before any JavaScript runs. Each maps to a
// prebuilt response that ends with `Connection: close`: after a framing error the
// bytes that follow cannot be trusted to start a new request (RFC 9112 §6.3, §9.6).
#pragma once
#include <cstddef>
#include <cstdint>

namespace tsgi {

enum class HttpError : uint8_t {
  None = 0,
  BadRequest,           // 400: malformed syntax or ambiguous framing (smuggling shapes)
  RequestTimeout,       // 408: the head did not arrive within headersTimeout
  UriTooLong,           // 414: request line longer than maxRequestLine
  HeadersTooLarge,      // 431: too many header fields or too many header bytes
  NotImplemented,       // 501: a transfer coding we do not implement (RFC 9112 §6.1)
  VersionNotSupported,  // 505: a well-formed HTTP-version other than 1.0 / 1.1
};

struct PrebuiltResponse {
  const char* bytes;
  size_t length;
};

#define TSGI_ERROR_RESPONSE(code, reason)                                             \
  "HTTP/1.1 " code " " reason "\r\nConnection: close\r\nContent-Type: text/plain\r\n" \
  "Content-Length: "

inline PrebuiltResponse prebuiltResponse(HttpError e) {
  // Content-Length values are the byte counts of the reason phrases that follow.
  static const char k400[] = TSGI_ERROR_RESPONSE("400", "Bad Request") "11\r\n\r\nBad Request";
  static const char k408[] =
      TSGI_ERROR_RESPONSE("408", "Request Timeout") "15\r\n\r\nRequest Timeout";
  static const char k414[] = TSGI_ERROR_RESPONSE("414", "URI Too Long") "12\r\n\r\nURI Too Long";
  static const char k431[] = TSGI_ERROR_RESPONSE("431", "Request Header Fields Too Large")
      "31\r\n\r\nRequest Header Fields Too Large";
  static const char k501[] =
      TSGI_ERROR_RESPONSE("501", "Not Implemented") "15\r\n\r\nNot Implemented";
  static const char k505[] = TSGI_ERROR_RESPONSE("505", "HTTP Version Not Supported")
      "26\r\n\r\nHTTP Version Not Supported";
  switch (e) {
    case HttpError::RequestTimeout: return {k408, sizeof(k408) - 1};
    case HttpError::UriTooLong: return {k414, sizeof(k414) - 1};
    case HttpError::HeadersTooLarge: return {k431, sizeof(k431) - 1};
    case HttpError::NotImplemented: return {k501, sizeof(k501) - 1};
    case HttpError::VersionNotSupported: return {k505, sizeof(k505) - 1};
    default: return {k400, sizeof(k400) - 1};
  }
}

#undef TSGI_ERROR_RESPONSE

inline int httpErrorStatus(HttpError e) {
  switch (e) {
    case HttpError::None: return 0;
    case HttpError::RequestTimeout: return 408;
    case HttpError::UriTooLong: return 414;
    case HttpError::HeadersTooLarge: return 431;
    case HttpError::NotImplemented: return 501;
    case HttpError::VersionNotSupported: return 505;
    default: return 400;
  }
}

}  // namespace tsgi
