// Builds the libFuzzer target with clang (ASan + UBSan) and runs it.
// Usage: node native/fuzz/run.cjs [seconds=60]   (npm run fuzz -- 120)
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const seconds = Number(process.argv[2] ?? 60);
const here = __dirname;
const src = path.join(here, '..', 'src');
const out = path.join(here, '..', '..', 'build', 'fuzz');
const work = path.join(here, 'corpus-run');
fs.mkdirSync(out, { recursive: true });
fs.mkdirSync(work, { recursive: true });
const cxx = process.env.CXX_FUZZ ?? (fs.existsSync('/usr/bin/clang++-14') ? 'clang++-14' : 'clang++');
const binary = path.join(out, 'fuzz_http');
execFileSync(cxx, ['-std=c++17', '-g', '-O1', '-fsanitize=fuzzer,address,undefined', '-fno-sanitize-recover=undefined',
  `-I${src}`, path.join(here, 'fuzz_http.cc'), path.join(src, 'HttpParser.cc'), path.join(src, 'ChunkedDecoder.cc'),
  '-o', binary], { stdio: 'inherit' });
execFileSync(binary, [`-max_total_time=${seconds}`, '-max_len=4096', '-print_final_stats=1', `-artifact_prefix=${out}/`, work, path.join(here, 'corpus')],
  { stdio: 'inherit' });
