// Runs the C++ parser over test/rules/request-rules.tsv, the table of request rules the
// JavaScript rules (src/engines/http-rules.ts, src/keep-alive.ts) also run, so the two can
// never disagree unnoticed. Each head is parsed whole and byte by byte through
// RequestReader (RequestTraceSink.h); the verdict is "ka" / "close" or the status.
// Build and run: native/test/run-unit.sh.
#include <cstdio>
#include <fstream>
#include <string>

#include "RequestTraceSink.h"

using namespace tsgi;

// \r \n \t \\ \xHH, as the table's header says.
static bool unescape(const std::string& in, std::string* out) {
  for (size_t i = 0; i < in.size(); i++) {
    if (in[i] != '\\') {
      out->push_back(in[i]);
      continue;
    }
    if (++i >= in.size()) return false;
    switch (in[i]) {
      case 'r': out->push_back('\r'); break;
      case 'n': out->push_back('\n'); break;
      case 't': out->push_back('\t'); break;
      case '\\': out->push_back('\\'); break;
      case 'x': {
        if (i + 2 >= in.size()) return false;
        out->push_back(static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16)));
        i += 2;
        break;
      }
      default: return false;
    }
  }
  return true;
}

// The table's verdict from a trace: "[… ka …]" → "ka", "[… close …]" → "close", "!400" → "400".
static std::string verdict(const std::string& trace) {
  if (trace.rfind("!", 0) == 0) return trace.substr(1);
  if (trace.empty() || trace[0] != '[' || trace.back() != ']' || trace.find("][") != std::string::npos) return "trace " + trace;
  return trace.find(" ka ") != std::string::npos ? "ka" : "close";
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "test/rules/request-rules.tsv";
  std::ifstream file(path);
  if (!file) {
    std::printf("cannot open %s\n", path);
    return 2;
  }
  int count = 0, failures = 0;
  std::string line;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t a = line.find('\t'), b = line.find('\t', a + 1);
    std::string raw;
    if (a == std::string::npos || b == std::string::npos || !unescape(line.substr(b + 1), &raw)) {
      std::printf("FAIL malformed line: %s\n", line.c_str());
      failures++;
      continue;
    }
    std::string expected = line.substr(0, a), name = line.substr(a + 1, b - a - 1);
    for (size_t cut : {size_t(0), size_t(1)}) {
      std::string got = verdict(feedFragments(raw, cut ? std::vector<size_t>{cut} : std::vector<size_t>{}));
      if (got != expected) {
        failures++;
        std::printf("FAIL %s (%s)\n  expected: %s\n  got:      %s\n", name.c_str(), cut ? "byte by byte" : "whole", expected.c_str(), got.c_str());
      }
    }
    count++;
  }
  std::printf("%s: %d cases, %d failures\n", path, count, failures);
  return failures || count == 0 ? 1 : 0;
}
