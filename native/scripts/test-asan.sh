#!/bin/sh
# Runs the vitest suite against the ASan+UBSan addon (npm run build:asan first).
# Usage: npm run test:asan [-- vitest args]   (default: test/native and the shared suite)
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
addon="$root/build/asan/tsgi_native.node"
[ -f "$addon" ] || { echo "missing $addon: run npm run build:asan" >&2; exit 1; }
libasan=$(${CXX:-g++} -print-file-name=libasan.so)
export TSGI_NATIVE_ADDON="$addon" TSGI_TEST_ENGINES=native
# Node is not built with ASan: no leak report at exit (V8 keeps memory to the end);
# UBSan findings abort the test run.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
cd "$root"
[ $# -eq 0 ] && set -- test
LD_PRELOAD="$libasan" exec npx vitest run --config test/vitest.config.ts "$@"
