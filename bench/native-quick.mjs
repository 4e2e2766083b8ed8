// Quick CPU-per-request check of the native engine against raw uWebSockets.js (issue 4).
// Server pinned to core 0, wrk -t1 -c50 pinned to core 1; CPU = utime+stime of the server
// from /proc/<pid>/stat over the measured run. Usage:
//   node bench/native-quick.mjs [kinds=native,uws] [seconds=6] [pipeline=1,16] [rounds=3]
import { fork, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const kinds = (process.argv[2] ?? 'native,uws').split(',');
const seconds = Number(process.argv[3] ?? 6);
const pipelines = (process.argv[4] ?? '1,16').split(',').map(Number);
const lua = '/tmp/tsgi-pipeline.lua';
writeFileSync(lua, `init = function(args)
  local n = tonumber(args[1]) or 16
  local r = {}
  for i = 1, n do r[i] = wrk.format(nil, "/") end
  req = table.concat(r)
end
request = function() return req end
`);
const ticks = 100; // USER_HZ
function cpu(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / ticks;
}
function wrk(port, pipeline, secs) {
  const args = ['-c', '1', 'wrk', '-t1', '-c50', `-d${secs}s`];
  if (pipeline > 1) args.push('-s', lua);
  args.push(`http://127.0.0.1:${port}/`);
  if (pipeline > 1) args.push('--', String(pipeline));
  const out = execFileSync('taskset', args, { encoding: 'utf8' });
  const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  return { rps: Number(m?.[1] ?? 0), requests: Number(total?.[1] ?? 0), errors: errors?.[0] };
}
const rounds = Number(process.argv[5] ?? 3);
let port = 18000 + Math.floor(Math.random() * 1000);
const servers = [];
for (const kind of kinds) {
  port++;
  // "kind+semi=N": the same server with V8's young generation at N MB (semi-space).
  const [base, semi] = kind.split('+semi=');
  const server = fork(fileURLToPath(new URL('./native-quick-server.mjs', import.meta.url)), [base, String(port)], {
    execArgv: semi ? [`--min-semi-space-size=${semi}`, `--max-semi-space-size=${Math.max(16, Number(semi))}`] : [], stdio: 'inherit',
  });
  await new Promise((resolve) => server.once('message', resolve));
  execFileSync('taskset', ['-pc', '0', String(server.pid)]);
  servers.push({ kind, port, server });
}
// Interleaved rounds: the machine may be shared, so report the minimum (least disturbed)
// and the median CPU per request of each row.
const results = new Map();
for (let round = 0; round < rounds; round++) {
  for (const { kind, port, server } of servers) {
    for (const pipeline of pipelines) {
      wrk(port, pipeline, 1); // warm-up
      const before = cpu(server.pid);
      const r = wrk(port, pipeline, seconds);
      const used = cpu(server.pid) - before;
      const key = `${kind} pipeline=${pipeline}`;
      if (!results.has(key)) results.set(key, []);
      results.get(key).push({ us: (used / r.requests) * 1e6, rps: r.rps, busy: used / seconds, errors: r.errors });
      if (r.errors) console.log(key, r.errors);
    }
  }
}
for (const [key, rows] of results) {
  const us = rows.map((r) => r.us).sort((a, b) => a - b);
  const best = rows.find((r) => r.us === us[0]);
  console.log(`${key.padEnd(22)} CPU/req min ${us[0].toFixed(2)} us  median ${us[Math.floor(us.length / 2)].toFixed(2)} us  (best run ${Math.round(best.rps)} req/s, busy ${(best.busy * 100).toFixed(0)}%)  all: ${us.map((u) => u.toFixed(2)).join(' ')}`);
}
for (const { server } of servers) server.kill();
