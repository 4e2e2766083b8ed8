// libFuzzer target for the request parser, the chunked decoder and RequestReader.
// The first input byte picks the limits, the next four the fragment sizes; the rest is
// the byte stream. Properties checked (beyond ASan/UBSan finding no fault):
//  - cutting the stream into fragments never changes the trace (heads, bodies, errors);
//  - header offsets stay inside their head.
// Build and run: npm run fuzz [seconds]   (native/fuzz/run.cjs)
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "../test/RequestTraceSink.h"

using namespace tsgi;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  ParserLimits limits;
  switch (data[0] & 3) {
    case 0: break;
    case 1: limits.maxRequestLine = 32; limits.maxHeaderCount = 4; limits.maxHeaderSize = 64; break;
    case 2: limits.maxRequestLine = 8; limits.maxHeaderCount = 1; limits.maxHeaderSize = 16; break;
    case 3: limits.maxHeaderCount = 1000; limits.maxHeaderSize = 1 << 20; break;
  }
  std::vector<size_t> cuts;
  for (int i = 1; i <= 4; i++) cuts.push_back(size_t(data[i] % 64) + 1);
  std::string input(reinterpret_cast<const char*>(data + 5), size - 5);
  bool badOffset = false;
  std::string whole = feedFragments(input, {}, limits, &badOffset);
  std::string cut = feedFragments(input, cuts, limits, &badOffset);
  std::string single = feedFragments(input, {1}, limits, &badOffset);
  if (whole != cut || whole != single || badOffset) {
    fprintf(stderr, "trace mismatch\nwhole:  %s\ncut:    %s\nsingle: %s\n", whole.c_str(), cut.c_str(), single.c_str());
    abort();
  }
  return 0;
}
