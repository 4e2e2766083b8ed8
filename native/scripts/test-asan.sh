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
# External clients the tests spawn inherit LD_PRELOAD; curl hangs with the ASan runtime
# preloaded (even before connecting), so it runs through a wrapper that drops it.
bin="$root/build/asan/bin"
mkdir -p "$bin"
real_curl=$(command -v curl || true)
if [ -n "$real_curl" ]; then
  printf '#!/bin/sh\nexec env -u LD_PRELOAD %s "$@"\n' "$real_curl" > "$bin/curl"
  chmod +x "$bin/curl"
  export PATH="$bin:$PATH"
fi
cd "$root"
[ $# -eq 0 ] && set -- test
LD_PRELOAD="$libasan" exec npx vitest run --config test/vitest.config.ts "$@"
