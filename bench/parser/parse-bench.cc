// Nanoseconds per request head of the native parser (native/src/HttpParser.cc) on the
// bench's two request shapes: the hello head wrk sends, pipelined 16 per buffer, and the
// browser head of scenario "headers" (15 fields). Build and run: bench/parser/run.sh
// [other/HttpParser.cc] — with an argument it builds that parser too and interleaves
// the two, so a change is judged as a ratio in one run (this machine's speed drifts).
#include <chrono>
#include <cstdio>
#include <string>

#include "HttpParser.h"

using namespace tsgi;

extern ParseResult (*const kParsers[])(const char*, size_t, const ParserLimits&, ParsedHead*, HeaderField*, HeadScanState*);
extern const char* const kParserNames[];
extern const int kParserCount;

static double nsPerHead(int which, const std::string& buf, int headsPerBuf, long heads) {
  ParserLimits limits;
  HeaderField fields[128];
  ParsedHead head;
  long sum = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (long n = 0; n < heads / headsPerBuf; n++) {
    size_t pos = 0;
    for (int i = 0; i < headsPerBuf; i++) {
      HeadScanState scan;
      ParseResult r = kParsers[which](buf.data() + pos, buf.size() - pos, limits, &head, fields, &scan);
      if (r.status != ParseStatus::Complete) return -1;
      pos += r.consumed;
      sum += head.headerCount;
    }
  }
  double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / double(heads);
  return sum > 0 ? ns : -1;
}

int main() {
  std::string hello;
  for (int i = 0; i < 16; i++) hello += "GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n";
  const std::string browser =
      "GET /search?q=tsgi&page=2 HTTP/1.1\r\nHost: localhost:8000\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
      "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
      "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"
      "Referer: http://localhost:8000/\r\nConnection: keep-alive\r\n"
      "Cookie: session=0123456789abcdef0123456789abcdef; theme=dark; lang=en\r\n"
      "Upgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\n"
      "Sec-Fetch-Site: same-origin\r\nSec-Fetch-User: ?1\r\nPriority: u=0, i\r\nCache-Control: max-age=0\r\n\r\n";
  for (int round = 0; round < 5; round++) {
    for (int p = 0; p < kParserCount; p++) {
      double a = nsPerHead(p, hello, 16, 2000000);
      double b = nsPerHead(p, browser, 1, 500000);
      if (a < 0 || b < 0) { std::fprintf(stderr, "%s: a bench head did not parse\n", kParserNames[p]); return 1; }
      std::printf("round %d  %-8s hello %6.1f ns/head   browser %7.1f ns/head\n", round + 1, kParserNames[p], a, b);
    }
  }
  return 0;
}
