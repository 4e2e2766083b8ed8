// Quick CPU-per-request check of the native engine against raw uWebSockets.js (issue 4).
// Server pinned to core 0, wrk -t1 -c50 pinned to core 1; CPU = utime+stime of the server
// from /proc/<pid>/stat over the measured run. Usage:
//   node bench/native-quick.mjs [kinds=native,uws] [seconds=6] [pipeline=1,16]
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
let port = 18000 + Math.floor(Math.random() * 1000);
for (const kind of kinds) {
  port++;
  const server = fork(fileURLToPath(new URL('./native-quick-server.mjs', import.meta.url)), [kind, String(port)], {
    execArgv: [], stdio: 'inherit',
  });
  await new Promise((resolve) => server.once('message', resolve));
  execFileSync('taskset', ['-pc', '0', String(server.pid)]);
  for (const pipeline of pipelines) {
    wrk(port, pipeline, 2); // warm-up
    const before = cpu(server.pid);
    const r = wrk(port, pipeline, seconds);
    const used = cpu(server.pid) - before;
    const us = (used / r.requests) * 1e6;
    console.log(`${kind.padEnd(10)} pipeline=${String(pipeline).padEnd(3)} ${Math.round(r.rps).toString().padStart(8)} req/s  cpu ${used.toFixed(2)} s  ${us.toFixed(2)} us/req  busy ${((used / seconds) * 100).toFixed(0)}%${r.errors ? '  ' + r.errors : ''}`);
  }
  server.kill();
}
