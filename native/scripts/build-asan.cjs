// Builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer into build/asan/
// (beside node-gyp's build/Release), for the vitest suite:
//   npm run build:asan && npm run test:asan
// test:asan loads it through TSGI_NATIVE_ADDON with LD_PRELOAD=libasan (Node itself is
// not instrumented, so the ASan runtime must come first).
// TSGI_POISON_INPUT: after each dispatch the released input area is filled with 0xA5 and
// poisoned, so a stale read of another request's bytes fails in C++ and is visible in JS.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..', '..');
// Inside build/ (git-ignored); node-gyp rebuild wipes build/, so rebuild this after it.
const out = path.join(root, 'build', 'asan');
fs.mkdirSync(out, { recursive: true });
const cxx = process.env.CXX ?? 'g++';
const napiInclude = require('node-addon-api').include_dir;
const nodeInclude = process.env.NODE_INCLUDE ?? '/usr/include/node';
const sources = ['Addon.cc', 'Loop.cc', 'Connection.cc', 'Timeouts.cc', 'ServerTimers.cc', 'SendFile.cc', 'HttpParser.cc', 'ChunkedDecoder.cc',
  'TlsContext.cc', 'TlsSession.cc', 'TlsConnection.cc'].map((f) => path.join(root, 'native', 'src', f));
execFileSync(cxx, ['-std=c++17', '-O1', '-g', '-fno-omit-frame-pointer', '-fPIC', '-shared', '-fno-exceptions',
  '-fsanitize=address,undefined', '-DNAPI_VERSION=8', '-DNAPI_DISABLE_CPP_EXCEPTIONS', '-DBUILDING_NODE_EXTENSION',
  // Released input is filled with 0xA5 and poisoned after each dispatch (Loop.cc).
  '-DTSGI_POISON_INPUT',
  `-I${nodeInclude}`, `-I${path.resolve(root, napiInclude)}`, ...sources, '-o', path.join(out, 'tsgi_native.node')],
  { stdio: 'inherit', cwd: root });
console.log(`built ${path.join(out, 'tsgi_native.node')}`);
