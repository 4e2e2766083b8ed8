#!/bin/sh
# bench/parser/run.sh [OTHER_HttpParser.cc]: builds bench/parser/parse-bench.cc against
# native/src/HttpParser.cc ("current") and, when given, another version of the parser
# ("other", e.g. `git show HEAD~3:native/src/HttpParser.cc > /tmp/old.cc`), then runs
# both interleaved on one core. Needs g++ (build-essential).
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(mktemp -d)
names='"current"'
parsers='tsgi::parseRequestHead'
decls=''
sed 's/^ParseResult parseRequestHead(/ParseResult parseRequestHeadCurrent(/' "$root/native/src/HttpParser.cc" > "$out/current.cc"
sources="$out/current.cc"
parsers='parseRequestHeadCurrent'
decls='ParseResult parseRequestHeadCurrent(const char*, size_t, const ParserLimits&, ParsedHead*, HeaderField*, HeadScanState*);'
if [ -n "$1" ]; then
  # Each copy in its own namespace so that the two builds' helpers do not collide.
  sed 's/^namespace tsgi {/namespace tsgi { namespace other {/; s/^}  \/\/ namespace tsgi/} }  \/\/ namespace tsgi/' "$1" > "$out/other.cc"
  sources="$sources $out/other.cc"
  parsers="$parsers, other::parseRequestHead"
  names="$names, \"other\""
  decls="$decls namespace other { ParseResult parseRequestHead(const char*, size_t, const ParserLimits&, ParsedHead*, HeaderField*, HeadScanState*); }"
fi
cat > "$out/table.cc" <<EOT
#include "HttpParser.h"
namespace tsgi { $decls }
using namespace tsgi;
extern ParseResult (*const kParsers[])(const char*, size_t, const ParserLimits&, ParsedHead*, HeaderField*, HeadScanState*) = { $parsers };
extern const char* const kParserNames[] = { $names };
extern const int kParserCount = sizeof(kParserNames) / sizeof(kParserNames[0]);
EOT
c++ -std=c++17 -O3 -I"$root/native/src" "$here/parse-bench.cc" "$out/table.cc" $sources -o "$out/parse-bench"
if command -v taskset >/dev/null; then taskset -c 0 "$out/parse-bench"; else "$out/parse-bench"; fi
