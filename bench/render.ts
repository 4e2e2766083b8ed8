// Re-render the table and chart of a saved run:
//   node dist/bench/render.js results/bench-<time>.json [chart.svg]
// Prints the Markdown (machine, table, goals); writes the SVG next to the JSON, or to
// the path given.

import { readFileSync, writeFileSync } from 'node:fs';
import { renderChart } from './lib/chart.js';
import { goalLines, machineLines, markdownTable } from './lib/report.js';
import type { BenchReport } from './lib/results.js';

const [input, output] = process.argv.slice(2);
if (!input) {
  process.stderr.write('usage: node dist/bench/render.js <results.json> [chart.svg]\n');
  process.exit(2);
}
const report = JSON.parse(readFileSync(input, 'utf8')) as BenchReport;
process.stdout.write([...machineLines(report), '', markdownTable(report), '', 'Goals:', ...goalLines(report), ''].join('\n'));
writeFileSync(output ?? input.replace(/\.json$/, '.svg'), renderChart(report));
