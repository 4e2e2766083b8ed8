#!/bin/sh
# Builds and runs the parser unit test with ASan and UBSan. Usage: native/test/run-unit.sh
set -e
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../build/native-unit"
mkdir -p "$out"
${CXX:-g++} -std=c++17 -O1 -g -Wall -Wextra -fsanitize=address,undefined -fno-sanitize-recover=all \
  -I"$here/../src" "$here/parser_test.cc" "$here/../src/HttpParser.cc" "$here/../src/ChunkedDecoder.cc" \
  -o "$out/parser_test"
"$out/parser_test"
