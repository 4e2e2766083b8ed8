// Incremental decoder of the chunked transfer coding (RFC 9112 §7.1), written for tsgi.
// It keeps its state between calls, so a body may arrive in fragments of any size; it
// never copies: data comes back as slices of the caller's buffer.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tsgi {

class ChunkedDecoder {
 public:
  enum class Status : uint8_t {
    Data,      // *data/*dataLength hold body bytes; call again with the rest
    NeedMore,  // every byte was consumed; the body is not finished
    Done,      // the last-chunk, trailers and final CRLF were consumed
    Error,     // malformed framing: answer 400 and close (RFC 9112 §7.1)
  };

  // Bytes of one chunk-size line with its extensions, and of the trailer section.
  static constexpr uint32_t kMaxSizeLine = 4096;
  static constexpr uint32_t kMaxTrailerBytes = 16384;
  // Framing overhead allowed before it must stay below 4x the data (blocks a body that
  // is all chunk extensions or 1-byte chunks, which costs CPU and delivers nothing).
  static constexpr uint64_t kOverheadAllowance = 100 * 1024;

  // Decodes from p[0, n). Returns how far it got in *consumed (always <= n).
  Status decode(const char* p, size_t n, size_t* consumed, const char** data,
                size_t* dataLength);
  void reset() { *this = ChunkedDecoder(); }
  bool done() const { return state_ == State::Done; }

 private:
  enum class State : uint8_t {
    Size, ExtStart, ExtNameStart, ExtName, ExtAfterName, ExtValueStart, ExtToken,
    ExtQuoted, ExtQuotedEscape, SizeLF, Data, DataCR, DataLF,
    TrailerStart, TrailerName, TrailerValue, TrailerLF, FinalLF, Done, Error,
  };
  Status stepFraming(unsigned char c);

  State state_ = State::Size;
  uint8_t sizeDigits_ = 0;
  uint32_t lineBytes_ = 0;     // bytes of the current size line or of all trailers
  uint64_t chunkRemaining_ = 0;
  uint64_t dataTotal_ = 0;
  uint64_t overhead_ = 0;
};

}  // namespace tsgi
