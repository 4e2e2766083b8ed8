// chunked-body   = *chunk last-chunk trailer-section CRLF
// chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
// chunk-size     = 1*HEXDIG
// chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
// chunk-ext-val  = token / quoted-string                     (RFC 9112 §7.1, §7.1.1)
#include "ChunkedDecoder.h"

#include "CharClasses.h"
#include "HttpParser.h"

namespace tsgi {

using Status = ChunkedDecoder::Status;

// One byte of everything that is not chunk-data. Returns Error or NeedMore (go on).
Status ChunkedDecoder::stepFraming(unsigned char c) {
  const bool ws = c == ' ' || c == '\t';
  switch (state_) {
    case State::Size:
      if (isClass(c, kHex)) {
        // Size overflow: a chunk-size beyond 2^53 - 1 cannot be a real body and would
        // wrap a 64-bit counter (RFC 9112 §7.1: "recipients MUST anticipate potentially
        // large hexadecimal numerals and prevent parsing errors due to integer conversion
        // overflows"). Leading zeros count towards the line limit only.
        if (chunkRemaining_ > (kMaxContentLength >> 4)) return Status::Error;
        chunkRemaining_ = (chunkRemaining_ << 4) | uint64_t(hexValue(c));
        sizeDigits_ = 1;
        return Status::NeedMore;
      }
      if (!sizeDigits_) return Status::Error;  // chunk-size = 1*HEXDIG
      state_ = State::ExtStart;
      return stepFraming(c);
    case State::ExtStart:  // after the size, a value or a name; BWS allowed
      if (ws) return Status::NeedMore;
      if (c == ';') { state_ = State::ExtNameStart; return Status::NeedMore; }
      if (c == '\r') { state_ = State::SizeLF; return Status::NeedMore; }
      return Status::Error;
    case State::ExtNameStart:
      if (ws) return Status::NeedMore;
      if (isClass(c, kToken)) { state_ = State::ExtName; return Status::NeedMore; }
      return Status::Error;
    case State::ExtName:
      if (isClass(c, kToken)) return Status::NeedMore;
      state_ = State::ExtAfterName;
      return stepFraming(c);
    case State::ExtAfterName:
      if (ws) return Status::NeedMore;
      if (c == '=') { state_ = State::ExtValueStart; return Status::NeedMore; }
      if (c == ';') { state_ = State::ExtNameStart; return Status::NeedMore; }
      if (c == '\r') { state_ = State::SizeLF; return Status::NeedMore; }
      return Status::Error;
    case State::ExtValueStart:
      if (ws) return Status::NeedMore;
      if (c == '"') { state_ = State::ExtQuoted; return Status::NeedMore; }
      if (isClass(c, kToken)) { state_ = State::ExtToken; return Status::NeedMore; }
      return Status::Error;
    case State::ExtToken:
      if (isClass(c, kToken)) return Status::NeedMore;
      state_ = State::ExtStart;
      return stepFraming(c);
    case State::ExtQuoted:  // quoted-string, RFC 9110 §5.6.4
      if (c == '"') { state_ = State::ExtStart; return Status::NeedMore; }
      if (c == '\\') { state_ = State::ExtQuotedEscape; return Status::NeedMore; }
      return isClass(c, kQdText) ? Status::NeedMore : Status::Error;
    case State::ExtQuotedEscape:  // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
      if (!isClass(c, kQdText) && c != '"' && c != '\\') return Status::Error;
      state_ = State::ExtQuoted;
      return Status::NeedMore;
    case State::SizeLF:  // a bare CR is invalid (RFC 9112 §2.2)
      if (c != '\n') return Status::Error;
      lineBytes_ = 0;
      sizeDigits_ = 0;
      state_ = chunkRemaining_ ? State::Data : State::TrailerStart;
      return Status::NeedMore;
    case State::DataCR:
      if (c != '\r') return Status::Error;  // chunk-data must be followed by CRLF
      state_ = State::DataLF;
      return Status::NeedMore;
    case State::DataLF:
      if (c != '\n') return Status::Error;
      state_ = State::Size;
      lineBytes_ = 0;
      return Status::NeedMore;
    // trailer-section = *( field-line CRLF ) (RFC 9112 §7.1.2). tsgi checks the syntax
    // like a header field and then discards the fields: the engine contract has no
    // trailers, and §7.1.2 lets a recipient discard them.
    case State::TrailerStart:
      if (c == '\r') { state_ = State::FinalLF; return Status::NeedMore; }
      if (isClass(c, kToken)) { state_ = State::TrailerName; return Status::NeedMore; }
      return Status::Error;  // includes obs-fold and whitespace before a name
    case State::TrailerName:
      if (isClass(c, kToken)) return Status::NeedMore;
      if (c == ':') { state_ = State::TrailerValue; return Status::NeedMore; }
      return Status::Error;  // whitespace before the colon, RFC 9112 §5.1
    case State::TrailerValue:
      if (isClass(c, kFieldValue)) return Status::NeedMore;
      if (c == '\r') { state_ = State::TrailerLF; return Status::NeedMore; }
      return Status::Error;
    case State::TrailerLF:
      if (c != '\n') return Status::Error;
      state_ = State::TrailerStart;
      return Status::NeedMore;
    case State::FinalLF:
      if (c != '\n') return Status::Error;
      state_ = State::Done;
      return Status::Done;
    default:
      return Status::Error;
  }
}

Status ChunkedDecoder::decode(const char* p, size_t n, size_t* consumed, const char** data,
                              size_t* dataLength) {
  const unsigned char* b = reinterpret_cast<const unsigned char*>(p);
  size_t i = 0;
  while (i < n) {
    if (state_ == State::Data) {
      size_t take = chunkRemaining_ < n - i ? size_t(chunkRemaining_) : n - i;
      chunkRemaining_ -= take;
      dataTotal_ += take;
      if (!chunkRemaining_) state_ = State::DataCR;
      *data = p + i;
      *dataLength = take;
      *consumed = i + take;
      return Status::Data;
    }
    if (state_ == State::Done) break;
    if (state_ == State::Error) { *consumed = i; return Status::Error; }
    overhead_++;
    bool inTrailers = state_ >= State::TrailerStart;
    if (++lineBytes_ > (inTrailers ? kMaxTrailerBytes : kMaxSizeLine) ||
        (overhead_ > kOverheadAllowance && overhead_ > 4 * dataTotal_)) {
      state_ = State::Error;
      *consumed = i;
      return Status::Error;
    }
    Status s = stepFraming(b[i++]);
    if (s == Status::Error) {
      state_ = State::Error;
      *consumed = i;
      return s;
    }
    if (s == Status::Done) { *consumed = i; return s; }
  }
  *consumed = i;
  return state_ == State::Done ? Status::Done : Status::NeedMore;
}

}  // namespace tsgi
