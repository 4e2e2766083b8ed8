// A hand-written SVG chart of a run: one panel per scenario, one line per server, with
// throughput on the left (linear, scaled to the panel's best) and server CPU per
// request on the right (log scale: gunicorn and pipelined uWS differ by 100x).

import { isThroughput, ratioToUwsRaw, type BenchReport, type Row } from './results.js';

const COLORS: Record<string, string> = {
  'tsgi-uws': '#2563eb', 'tsgi-native': '#7c3aed', 'tsgi-node': '#0891b2',
  'uws-raw': '#16a34a', 'node-raw': '#65a30d', fastify: '#000000', nginx: '#ea580c', gunicorn: '#dc2626',
};
const WIDTH = 980;
const NAME_W = 110;
const BAR_W = 340;
const GAP = 60;
const ROW_H = 18;
const LEFT_X = NAME_W;
const RIGHT_X = NAME_W + BAR_W + GAP;

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = (x: number, y: number, s: string, attrs = ''): string => `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`;
const compact = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(0)}k` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));

function panel(scenario: string, rows: Row[], all: readonly Row[], top: number): { svg: string[]; height: number } {
  const throughput = isThroughput(scenario);
  const rate = (r: Row): number => (throughput ? r.median!.megabytesPerSecond : r.median!.requestsPerSecond);
  const cpu = (r: Row): number => (throughput ? r.median!.cpuUsPerMiB : r.median!.cpuUsPerRequest);
  const measured = rows.filter((r) => r.median);
  const maxRate = Math.max(1, ...measured.map(rate));
  const cpus = measured.map(cpu).filter((c) => c > 0);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...cpus, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...cpus, 10))));
  const logX = (v: number): number => (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * BAR_W;
  const out: string[] = [];
  out.push(text(8, top + 14, scenario, 'font-weight="bold" font-size="13"'));
  out.push(text(LEFT_X, top + 14, throughput ? 'MB/s (higher is better)' : 'requests/s (higher is better)', 'fill="#555"'));
  out.push(text(RIGHT_X, top + 14, `server CPU ${throughput ? 'µs/MiB' : 'µs/request'}, log scale (lower is better)`, 'fill="#555"'));
  const y0 = top + 22;
  const height = rows.length * ROW_H;
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const x = RIGHT_X + logX(d);
    out.push(`<line x1="${x.toFixed(1)}" y1="${y0}" x2="${x.toFixed(1)}" y2="${y0 + height}" stroke="#ddd"/>`);
    out.push(text(x, y0 + height + 11, String(d), 'fill="#888" font-size="10" text-anchor="middle"'));
  }
  rows.forEach((row, i) => {
    const y = y0 + i * ROW_H;
    const color = COLORS[row.server] ?? '#444';
    out.push(text(NAME_W - 6, y + 13, row.server, 'text-anchor="end"'));
    if (!row.median) {
      out.push(text(LEFT_X, y + 13, `${row.status}: ${(row.reason ?? '').slice(0, 90)}`, 'fill="#999" font-style="italic"'));
      return;
    }
    const w = (rate(row) / maxRate) * BAR_W;
    out.push(`<rect x="${LEFT_X}" y="${y + 3}" width="${Math.max(1, w).toFixed(1)}" height="${ROW_H - 6}" fill="${color}"/>`);
    out.push(text(LEFT_X + w + 4, y + 13, compact(rate(row)), 'font-size="11"'));
    const c = cpu(row);
    const cw = logX(c);
    out.push(`<rect x="${RIGHT_X}" y="${y + 3}" width="${Math.max(1, cw).toFixed(1)}" height="${ROW_H - 6}" fill="${color}" opacity="0.8"/>`);
    const ratio = ratioToUwsRaw(row, all);
    out.push(text(RIGHT_X + cw + 4, y + 13, `${c.toFixed(c < 10 ? 2 : 1)}${ratio !== undefined ? `  (${ratio.toFixed(2)}x)` : ''}`, 'font-size="11"'));
  });
  return { svg: out, height: 22 + height + 22 };
}

export function renderChart(report: BenchReport): string {
  const scenarios = [...new Set(report.rows.map((r) => r.scenario))];
  const body: string[] = [];
  let y = 44;
  for (const scenario of scenarios) {
    const { svg, height } = panel(scenario, report.rows.filter((r) => r.scenario === scenario), report.rows, y);
    body.push(...svg);
    y += height;
  }
  const m = report.machine;
  const title = `tsgi bench — ${m.cpuModel}, ${m.nproc} cores, Node ${m.node}; server core ${m.serverCore}, wrk core ${m.clientCore}`;
  const foreign = report.rows.flatMap((r) => r.runs.map((x) => x.foreignPercent ?? 0));
  const noise = foreign.length ? `; other processes took ${Math.round(foreign.reduce((a, b) => a + b, 0) / foreign.length)}% of the server's core on average (load ${m.loadBefore.toFixed(1)}→${m.loadAfter.toFixed(1)})` : '';
  const note = `(Nx) = server CPU relative to raw uWebSockets.js in the same run; medians of ${report.options.runs} run(s) of ${report.options.seconds} s${noise}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" viewBox="0 0 ${WIDTH} ${y + 10}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    text(8, 18, title, 'font-weight="bold" font-size="14"'),
    text(8, 34, note, 'fill="#555"'),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
