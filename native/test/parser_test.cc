// Standalone unit test of the request parser, chunked decoder and RequestReader.
// Each case is raw bytes and the expected trace (RequestTraceSink.h); every case runs
// whole (the input placed against a PROT_NONE page, so an over-read crashes), byte by
// byte, and at every two-piece split.
// Build and run: native/test/run-unit.sh (g++ -fsanitize=address,undefined).
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "RequestTraceSink.h"

using namespace tsgi;

struct Case {
  const char* name;
  std::string raw;
  const char* expected;
};

#define H11 "Host: a\r\n"
#define BYTES(lit) std::string(lit, sizeof(lit) - 1)  // keeps embedded NULs
static const Case kCases[] = {
    // ------------------------------------------------------------------ basics
    {"simple GET", "GET / HTTP/1.1\r\n" H11 "\r\n", "[GET / 1.1 ka cl=0 h=1]"},
    {"HTTP/1.0 no host", "GET / HTTP/1.0\r\n\r\n", "[GET / 1.0 close cl=0 h=0]"},
    {"1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "[GET / 1.0 ka cl=0 h=1]"},
    {"1.1 close", "GET / HTTP/1.1\r\n" H11 "Connection: foo, close\r\n\r\n", "[GET / 1.1 close cl=0 h=2]"},
    {"incomplete", "GET / HTTP/1.1\r\n" H11, ""},
    {"leading CRLF ignored", "\r\n\r\nGET / HTTP/1.1\r\n" H11 "\r\n", "[GET / 1.1 ka cl=0 h=1]"},
    {"absolute-form", "GET http://x/y?z HTTP/1.1\r\n" H11 "\r\n", "[GET http://x/y?z 1.1 ka cl=0 h=1]"},
    {"absolute-form with port", "GET http://x:8080 HTTP/1.1\r\n" H11 "\r\n", "[GET http://x:8080 1.1 ka cl=0 h=1]"},
    {"absolute-form IPv6", "GET http://[::1]:80/a HTTP/1.1\r\n" H11 "\r\n", "[GET http://[::1]:80/a 1.1 ka cl=0 h=1]"},
    {"absolute-form query only", "GET http://x?q HTTP/1.1\r\n" H11 "\r\n", "[GET http://x?q 1.1 ka cl=0 h=1]"},
    // The authority becomes HTTP_HOST: it must pass the Host rule (RFC 9112 §3.2.2).
    {"absolute-form markup authority", "GET http://\"><script>/ HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"absolute-form userinfo", "GET http://u@x/ HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"absolute-form empty host", "GET http:///a HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"absolute-form port only", "GET http://:80/a HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"absolute-form bad port", "GET http://x:8a/ HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"absolute-form two colons", "GET http://x:1:2/ HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"absolute-form open bracket", "GET http://[::1/ HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"absolute-form backslash", "GET http://a\\b/ HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"asterisk-form", "OPTIONS * HTTP/1.1\r\n" H11 "\r\n", "[OPTIONS * 1.1 ka cl=0 h=1]"},
    {"obs-text in value", "GET / HTTP/1.1\r\n" H11 "X: \xff\r\n\r\n", "[GET / 1.1 ka cl=0 h=2]"},
    // Long targets and values: the parser scans them 16 bytes at a time (SSE2), so a
    // bad byte is placed in every lane position that matters (first, last, second block).
    {"long value, tab and obs-text", "GET / HTTP/1.1\r\n" H11 "X: abcdefghijklmno\tpqrstuvwxyz \xe9\xff ABCDEFGHIJ\r\n\r\n", "[GET / 1.1 ka cl=0 h=2]"},
    {"long value, NUL in lane 0 of 2nd block", BYTES("GET / HTTP/1.1\r\n" H11 "X: abcdefghijklmnop\0qrstuvwxyz0123456789\r\n\r\n"), "!400"},
    {"long value, DEL in lane 15", "GET / HTTP/1.1\r\n" H11 "X: abcdefghijklmno\x7fqrstuvwxyz0123456789\r\n\r\n", "!400"},
    {"long value, bare LF in 3rd block", "GET / HTTP/1.1\r\n" H11 "X: abcdefghijklmnopqrstuvwxyz0123456789ab\ncd\r\n\r\n", "!400"},
    {"long value, bare CR in 2nd block", "GET / HTTP/1.1\r\n" H11 "X: abcdefghijklmnopqrstu\rvwxyz0123456789\r\n\r\n", "!400"},
    {"long value, vertical tab", "GET / HTTP/1.1\r\n" H11 "X: abcdefghijklmnopqrstuvwxy\x0bz0123456789\r\n\r\n", "!400"},
    {"long target", "GET /abcdefghijklmnopqrstuvwxyz/0123456789?q=%20&r=~!$ HTTP/1.1\r\n" H11 "\r\n",
     "[GET /abcdefghijklmnopqrstuvwxyz/0123456789?q=%20&r=~!$ 1.1 ka cl=0 h=1]"},
    {"long target, # in 2nd block", "GET /abcdefghijklmnopq#rstuvwxyz0123456789 HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"long target, byte 0x80 in lane 15", "GET /abcdefghijklmn\x80opqrstuvwxyz0123456789 HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"long target, DEL in 3rd block", "GET /abcdefghijklmnopqrstuvwxyz0123456789\x7f HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"long target, TAB", "GET /abcdefghijklmnopqrstuvw\txyz HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"obs-text in target", "GET /\xe9 HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"fragment in target", "GET /a#b HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"asterisk-form with GET", "GET * HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"authority-form with GET", "GET example.com:80 HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"authority-form with CONNECT", "CONNECT example.com:443 HTTP/1.1\r\n" H11 "\r\n", "[CONNECT example.com:443 1.1 ka cl=0 h=1]"},
    {"relative target", "GET a/b HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"empty value", "GET / HTTP/1.1\r\n" H11 "X:\r\n\r\n", "[GET / 1.1 ka cl=0 h=2]"},
    {"pipelined", "GET /a HTTP/1.1\r\n" H11 "\r\nGET /b HTTP/1.1\r\n" H11 "\r\n",
     "[GET /a 1.1 ka cl=0 h=1][GET /b 1.1 ka cl=0 h=1]"},
    // ------------------------------------------------------------------ bodies
    {"content-length body", "POST / HTTP/1.1\r\n" H11 "Content-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\n" H11 "\r\n",
     "[POST / 1.1 ka cl=5 h=2]{hello}[GET / 1.1 ka cl=0 h=1]"},
    {"chunked body", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;a=b;c=\"d\\\"\"\r\n world\r\n0\r\nT: v\r\n\r\n",
     "[POST / 1.1 ka chunked h=2]{hello world}"},
    {"chunked uppercase hex, BWS ext", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: Chunked\r\n\r\nA ; x\r\n0123456789\r\n0\r\n\r\n",
     "[POST / 1.1 ka chunked h=2]{0123456789}"},
    {"chunked size overflow", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n", "[POST / 1.1 ka chunked h=2]!400"},
    {"chunked missing CRLF after data", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", "[POST / 1.1 ka chunked h=2]!400"},
    {"chunked bare LF", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n1\nab\r\n", "[POST / 1.1 ka chunked h=2]!400"},
    {"chunked empty size", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n\r\n", "[POST / 1.1 ka chunked h=2]!400"},
    {"chunked bad ext", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n1;\r\na\r\n0\r\n\r\n", "[POST / 1.1 ka chunked h=2]!400"},
    {"chunked trailer obs-fold", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n c\r\n\r\n", "[POST / 1.1 ka chunked h=2]!400"},
    {"chunked trailer space before colon", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\nA : b\r\n\r\n", "[POST / 1.1 ka chunked h=2]!400"},
    // -------------------------------------------------------- smuggling shapes
    {"CL and TE", "POST / HTTP/1.1\r\n" H11 "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "!400"},
    {"TE then CL", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", "!400"},
    {"duplicate CL identical", "POST / HTTP/1.1\r\n" H11 "Content-Length: 3\r\nContent-Length: 3\r\n\r\n", "!400"},
    {"duplicate CL differing", "POST / HTTP/1.1\r\n" H11 "Content-Length: 3\r\nContent-Length: 4\r\n\r\n", "!400"},
    {"CL list", "POST / HTTP/1.1\r\n" H11 "Content-Length: 3, 3\r\n\r\n", "!400"},
    {"CL sign", "POST / HTTP/1.1\r\n" H11 "Content-Length: +3\r\n\r\n", "!400"},
    {"CL hex", "POST / HTTP/1.1\r\n" H11 "Content-Length: 0x3\r\n\r\n", "!400"},
    {"CL empty", "POST / HTTP/1.1\r\n" H11 "Content-Length:\r\n\r\n", "!400"},
    {"CL overflow", "POST / HTTP/1.1\r\n" H11 "Content-Length: 99999999999999999999\r\n\r\n", "!400"},
    {"CL inner space", "POST / HTTP/1.1\r\n" H11 "Content-Length: 1 2\r\n\r\n", "!400"},
    {"TE gzip only", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip\r\n\r\n", "!400"},
    {"TE chunked, gzip", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked, gzip\r\n\r\n", "!400"},
    {"TE chunked twice", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "!400"},
    {"TE gzip, chunked (unimplemented coding)", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: gzip, chunked\r\n\r\n", "!501"},
    {"TE xchunked", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: xchunked\r\n\r\n", "!400"},
    {"TE chunked with param", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked;q=1\r\n\r\n", "!400"},
    {"TE empty", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding:\r\n\r\n", "!400"},
    {"TE on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "!400"},
    {"TE vertical tab", "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: \x0b" "chunked\r\n\r\n", "!400"},
    {"obs-fold", "GET / HTTP/1.1\r\n" H11 "X: a\r\n b\r\n\r\n", "!400"},
    {"space before first header", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", "!400"},
    {"space before colon", "GET / HTTP/1.1\r\n" H11 "Content-Length : 3\r\n\r\n", "!400"},
    {"tab before colon", "GET / HTTP/1.1\r\n" H11 "X\t: 3\r\n\r\n", "!400"},
    {"bare LF in header", "GET / HTTP/1.1\r\n" H11 "X: a\nY: b\r\n\r\n", "!400"},
    {"bare LF end", "GET / HTTP/1.1\n" H11 "\n", "!400"},
    {"bare CR in value", "GET / HTTP/1.1\r\n" H11 "X: a\rb\r\n\r\n", "!400"},
    {"bare CR line", "GET / HTTP/1.1\r\n" H11 "\rX: b\r\n\r\n", "!400"},
    {"NUL in value", BYTES("GET / HTTP/1.1\r\n" H11 "X: a\0b\r\n\r\n"), "!400"},
    {"NUL in name", BYTES("GET / HTTP/1.1\r\n" H11 "X\0: b\r\n\r\n"), "!400"},
    {"CTL in value", "GET / HTTP/1.1\r\n" H11 "X: a\x01" "b\r\n\r\n", "!400"},
    {"DEL in value", "GET / HTTP/1.1\r\n" H11 "X: a\x7f" "b\r\n\r\n", "!400"},
    {"invalid name char", "GET / HTTP/1.1\r\n" H11 "X(y): b\r\n\r\n", "!400"},
    {"empty name", "GET / HTTP/1.1\r\n" H11 ": b\r\n\r\n", "!400"},
    {"no colon", "GET / HTTP/1.1\r\n" H11 "Xb\r\n\r\n", "!400"},
    {"invalid method char", "G(T / HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"two spaces", "GET  / HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"tab separator", "GET\t/ HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"space in target", "GET /a b HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"CTL in target", "GET /a\x01 HTTP/1.1\r\n" H11 "\r\n", "!400"},
    {"HTTP/0.9", "GET /\r\n\r\n", "!400"},
    {"lowercase version", "GET / http/1.1\r\n" H11 "\r\n", "!400"},
    {"missing Host", "GET / HTTP/1.1\r\n\r\n", "!400"},
    {"two Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "!400"},
    {"two Host on 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", "!400"},
    {"invalid Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "!400"},
    {"Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", "!400"},
    {"empty Host allowed", "GET / HTTP/1.1\r\nHost:\r\n\r\n", "[GET / 1.1 ka cl=0 h=1]"},
    {"Host with two colons", "GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n", "!400"},
    {"Host with bad port", "GET / HTTP/1.1\r\nHost: a:x\r\n\r\n", "!400"},
    {"Host with bad IP-literal", "GET / HTTP/1.1\r\nHost: [g::1]\r\n\r\n", "!400"},
    {"Host with bracket inside", "GET / HTTP/1.1\r\nHost: a[1]\r\n\r\n", "!400"},
    {"Host with quote", "GET / HTTP/1.1\r\nHost: \"a\r\n\r\n", "!400"},
    {"IPv6 Host", "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", "[GET / 1.1 ka cl=0 h=1]"},
    {"HTTP/2.0", "GET / HTTP/2.0\r\n" H11 "\r\n", "!505"},
    {"HTTP/1.2 as 1.1", "GET / HTTP/1.2\r\n" H11 "\r\n", "[GET / 1.1 ka cl=0 h=1]"},
    {"HTTP/3.0", "GET / HTTP/3.0\r\n" H11 "\r\n", "!505"},
    {"HTTP/1.10", "GET / HTTP/1.10\r\n" H11 "\r\n", "!400"},
    {"error after good request", "GET / HTTP/1.1\r\n" H11 "\r\nGET / HTTP/1.1\r\n\r\n", "[GET / 1.1 ka cl=0 h=1]!400"},
};

struct LimitCase {
  const char* name;
  ParserLimits limits;
  std::string raw;
  const char* expected;
};

static std::vector<LimitCase> limitCases() {
  ParserLimits small;
  small.maxRequestLine = 20;
  small.maxHeaderCount = 2;
  small.maxHeaderSize = 40;
  return {
      {"line at limit", small, "GET /123456789 HTTP/1.1\r\n" H11 "\r\n", "!414"},  // 25 > 20
      {"line within", small, "GET /12 HTTP/1.1\r\n" H11 "\r\n", "[GET /12 1.1 ka cl=0 h=1]"},
      {"long line incomplete", small, "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "!414"},
      {"too many headers", small, "GET / HTTP/1.1\r\n" H11 "A: 1\r\nB: 2\r\n\r\n", "!431"},
      {"header bytes", small, "GET / HTTP/1.1\r\n" H11 "A: 12345678901234567890123456789\r\n\r\n", "!431"},
      {"header bytes incomplete", small, "GET / HTTP/1.1\r\n" H11 "A: 12345678901234567890123456789012345678", "!431"},
  };
}

// Places the input at the end of a page followed by a PROT_NONE page.
static std::string parseAgainstGuard(const std::string& raw, ParserLimits limits) {
  long page = sysconf(_SC_PAGESIZE);
  size_t span = (raw.size() / page + 2) * page;
  char* mem = static_cast<char*>(mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  mprotect(mem + span - page, page, PROT_NONE);
  char* at = mem + span - page - raw.size();
  std::memcpy(at, raw.data(), raw.size());
  RequestReader reader;
  RequestTraceSink sink(limits);
  reader.consume(at, raw.size(), sink);
  munmap(mem, span);
  return sink.trace;
}

static int failures = 0;
static void check(const char* name, const char* how, const std::string& got, const char* expected) {
  if (got == expected) return;
  failures++;
  std::printf("FAIL %s (%s)\n  expected: %s\n  got:      %s\n", name, how, expected, got.c_str());
}

static void run(const char* name, const std::string& raw, const char* expected, ParserLimits limits) {
  check(name, "whole, guard page", parseAgainstGuard(raw, limits), expected);
  check(name, "byte by byte", feedFragments(raw, {1}, limits), expected);
  for (size_t cut = 1; cut < raw.size(); cut++)
    check(name, ("split at " + std::to_string(cut)).c_str(), feedFragments(raw, {cut, raw.size()}, limits), expected);
}

int main() {
  int count = 0;
  for (const Case& c : kCases) {
    run(c.name, c.raw, c.expected, ParserLimits());
    count++;
  }
  for (const LimitCase& c : limitCases()) {
    run(c.name, c.raw, c.expected, c.limits);
    count++;
  }
  // A 1 MiB chunked body in 4 KiB chunks, fed in 1000-byte pieces.
  std::string big = "POST / HTTP/1.1\r\n" H11 "Transfer-Encoding: chunked\r\n\r\n";
  std::string payload;
  for (int i = 0; i < 256; i++) {
    std::string chunk(4096, char('a' + i % 26));
    big += "1000\r\n" + chunk + "\r\n";
    payload += chunk;
  }
  big += "0\r\n\r\n";
  check("1 MiB chunked", "1000-byte pieces", feedFragments(big, {1000}),
        ("[POST / 1.1 ka chunked h=2]{" + payload + "}").c_str());
  count++;
  std::printf("%d cases, %d failures\n", count, failures);
  return failures ? 1 : 0;
}
