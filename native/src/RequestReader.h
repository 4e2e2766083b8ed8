// The request side of one HTTP/1.1 connection as a byte-stream state machine: heads,
// then bodies framed by Content-Length or chunked (RFC 9112 §6.3), then the next head
// (pipelining, RFC 9112 §9.3.2). No sockets here either: Connection.cc feeds it from
// libuv reads, the unit test and the fuzzer feed it fragments.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ChunkedDecoder.h"
#include "HttpParser.h"

namespace tsgi {

class RequestReader {
 public:
  enum class State : uint8_t { Head, BodyLength, BodyChunked, Failed };

  // Consumes what it can of buf[0, len) and returns how many bytes it used. The caller
  // keeps the rest (a partial head) and presents it again, followed by new bytes.
  // Sink must provide:
  //   bool acceptHead();  false: stop before the next head (pipeline full, closing)
  //   void onHead(const char* base, const ParsedHead&, const HeaderField*);
  //        offsets in ParsedHead/HeaderField are relative to base
  //   void onBody(const char* data, size_t length, bool last);
  //   void onError(HttpError error, bool inBody);
  //   const ParserLimits& limits();  HeaderField* fieldStorage();
  template <class Sink>
  size_t consume(const char* buf, size_t len, Sink& sink) {
    size_t pos = 0;
    for (;;) {
      switch (state_) {
        case State::Head: {
          if (pos == len || !sink.acceptHead()) return pos;
          ParsedHead head;
          HeaderField* fields = sink.fieldStorage();
          ParseResult r =
              parseRequestHead(buf + pos, len - pos, sink.limits(), &head, fields, &scan_);
          if (r.status == ParseStatus::Incomplete) {
            if (r.consumed) scan_.reset();  // only leading empty lines were dropped
            return pos + r.consumed;
          }
          if (r.status == ParseStatus::Error) {
            state_ = State::Failed;
            sink.onError(r.error, false);
            return len;
          }
          const char* base = buf + pos;
          pos += r.consumed;
          scan_.reset();
          if (head.chunked) {
            state_ = State::BodyChunked;
            chunked_.reset();
          } else if (head.contentLength) {
            state_ = State::BodyLength;
            remaining_ = head.contentLength;
          }
          sink.onHead(base, head, fields);
          break;
        }
        case State::BodyLength: {
          if (pos == len) return pos;
          size_t take = remaining_ < len - pos ? size_t(remaining_) : len - pos;
          remaining_ -= take;
          if (!remaining_) state_ = State::Head;
          sink.onBody(buf + pos, take, remaining_ == 0);
          pos += take;
          break;
        }
        case State::BodyChunked: {
          if (pos == len) return pos;
          size_t used = 0, dataLength = 0;
          const char* data = nullptr;
          ChunkedDecoder::Status s = chunked_.decode(buf + pos, len - pos, &used, &data, &dataLength);
          pos += used;
          if (s == ChunkedDecoder::Status::Data) {
            sink.onBody(data, dataLength, false);
          } else if (s == ChunkedDecoder::Status::Done) {
            state_ = State::Head;
            sink.onBody(buf + pos, 0, true);
          } else if (s == ChunkedDecoder::Status::Error) {
            state_ = State::Failed;
            sink.onError(HttpError::BadRequest, true);
            return len;
          } else {
            return pos;
          }
          break;
        }
        case State::Failed:
          return len;
      }
    }
  }

  State state() const { return state_; }
  bool inBody() const { return state_ == State::BodyLength || state_ == State::BodyChunked; }
  void fail() { state_ = State::Failed; }

 private:
  State state_ = State::Head;
  uint64_t remaining_ = 0;
  ChunkedDecoder chunked_;
  HeadScanState scan_;
};

}  // namespace tsgi
