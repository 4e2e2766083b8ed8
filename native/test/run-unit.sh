#!/bin/sh
# Builds and runs the parser unit tests with ASan and UBSan: parser_test (the parser's own
# cases) and rules_test (the request-rules table shared with the JavaScript rules).
# Usage: native/test/run-unit.sh
set -e
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../build/native-unit"
mkdir -p "$out"
for t in parser_test rules_test; do
  ${CXX:-g++} -std=c++17 -O1 -g -Wall -Wextra -fsanitize=address,undefined -fno-sanitize-recover=all \
    -I"$here/../src" "$here/$t.cc" "$here/../src/HttpParser.cc" "$here/../src/ChunkedDecoder.cc" \
    -o "$out/$t"
done
"$out/parser_test"
"$out/rules_test" "$here/../../test/rules/request-rules.tsv"
