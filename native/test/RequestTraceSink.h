// A RequestReader sink that writes what it sees as one line of text, shared by the unit
// test and the fuzzer: "[GET / 1.1 ka cl=0 h=1]" per head, "{bytes}" per finished body,
// "!400" for a rejection. Body bytes are joined, so any fragmentation gives one trace.
#pragma once
#include <string>
#include <vector>

#include "../src/RequestReader.h"

namespace tsgi {

struct RequestTraceSink {
  ParserLimits parserLimits;
  std::vector<HeaderField> fields;
  std::string trace;
  std::string body;
  uint32_t maxInFlight = 1000000;
  uint32_t heads = 0;
  bool badOffset = false;

  explicit RequestTraceSink(ParserLimits l = ParserLimits()) : parserLimits(l), fields(l.maxHeaderCount + 1) {}
  bool acceptHead() { return heads < maxInFlight; }
  const ParserLimits& limits() { return parserLimits; }
  HeaderField* fieldStorage() { return fields.data(); }
  void onHead(const char* base, const ParsedHead& h, const HeaderField* f) {
    heads++;
    trace += "[" + std::string(base + h.methodOffset, h.methodLength) + " " +
             std::string(base + h.targetOffset, h.targetLength) + " 1." + char('0' + h.versionMinor) +
             (h.keepAlive ? " ka" : " close") +
             (h.chunked ? std::string(" chunked") : " cl=" + std::to_string(h.contentLength)) +
             " h=" + std::to_string(h.headerCount);
    for (uint32_t i = 0; i < h.headerCount; i++) {
      // Offsets must stay inside the head.
      if (f[i].nameOffset < h.start || f[i].valueOffset + f[i].valueLength > h.start + h.length) badOffset = true;
    }
    trace += "]";
  }
  void onBody(const char* data, size_t length, bool last) {
    body.append(data, length);
    if (last) {
      trace += "{" + body + "}";
      body.clear();
    }
  }
  void onError(HttpError e, bool) { trace += "!" + std::to_string(httpErrorStatus(e)); }
};

// Feeds `input` cut at the given sizes (cycled), keeping unconsumed bytes as the
// connection does. Returns the trace.
inline std::string feedFragments(const std::string& input, const std::vector<size_t>& cuts,
                                 ParserLimits limits = ParserLimits(), bool* badOffset = nullptr) {
  RequestReader reader;
  RequestTraceSink sink(limits);
  std::string pending;
  size_t pos = 0, k = 0;
  while (pos < input.size()) {
    size_t n = cuts.empty() ? input.size() : cuts[k++ % cuts.size()];
    if (n == 0) n = 1;
    if (n > input.size() - pos) n = input.size() - pos;
    pending.append(input, pos, n);
    pos += n;
    size_t used = reader.consume(pending.data(), pending.size(), sink);
    pending.erase(0, used);
    if (reader.state() == RequestReader::State::Failed) break;
  }
  if (badOffset && sink.badOffset) *badOffset = true;
  return sink.trace;
}

}  // namespace tsgi
