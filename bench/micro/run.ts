// `npm run bench:micro`: tinybench micro benchmarks of the gateway's hot paths.
// Each table row: mean time per operation and operations per second, ± margin.

import type { Bench } from 'tinybench';
import { environBench } from './environ.bench.js';
import { fromFetchBench } from './from-fetch.bench.js';
import { disposeInputBench, inputBench } from './input.bench.js';
import { startResponseBench } from './start-response.bench.js';

const suites: Array<() => Bench> = [environBench, startResponseBench, inputBench, fromFetchBench];
process.stdout.write(`tsgi micro benchmarks — Node ${process.versions.node}, ${process.arch}\n`);
for (const make of suites) {
  const bench = make();
  await bench.run();
  process.stdout.write(`\n${bench.name ?? ''}\n`);
  console.table(bench.table());
}
disposeInputBench();
