// The work of a TFB test without any HTTP: the driver's queries and the answer's bytes,
// 64 at a time (as many as wrk's connections), in one process pinned next to the
// database like a bench server. What it costs per request is shared by every server of the
// scenario, so it bounds what any HTTP layer can gain:
//   node dist/bench/tfb/floor.js [db|queries|fortunes|updates|cached-queries] [seconds]
// prints µs of this process's CPU and of the database's CPU per request.

import { execFileSync } from 'node:child_process';
import postgres from 'postgres';
import { treeCpuMicros } from '../lib/proc-stats.js';
import { fortunesPage } from './fortunes.js';
import { createTfbSchema, startPostgres } from './postgres.js';
import { openTfbDb, randomId, WorldCache, type TfbDb } from './world.js';

const CORE = 0;
const CONCURRENCY = 64;

function work(test: string, db: TfbDb, cache: WorldCache): () => Promise<unknown> {
  switch (test) {
    case 'db': return async () => Buffer.from(JSON.stringify(await db.world(randomId())));
    case 'queries': return async () => Buffer.from(JSON.stringify(await db.worlds(20)));
    case 'updates': return async () => Buffer.from(JSON.stringify(await db.updateWorlds(20)));
    case 'fortunes': return async () => Buffer.from(fortunesPage(await db.fortunes()), 'utf8');
    case 'cached-queries': return () => Promise.resolve(Buffer.from(JSON.stringify(cache.pick(100))));
    default: throw new Error(`unknown test ${JSON.stringify(test)}`);
  }
}

const [test = 'fortunes', secondsArg = '5'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const pg = await startPostgres({ core: CORE });
if ('skip' in pg) {
  process.stdout.write(`skipped: ${pg.skip}\n`);
  process.exit(0);
}
try {
  execFileSync('taskset', ['-cp', String(CORE), String(process.pid)], { stdio: 'ignore' });
  const sql = postgres({ ...pg.connectionOptions, max: 1, onnotice: () => {} });
  await createTfbSchema(sql);
  await sql.end();
  const db = openTfbDb(pg.connectionOptions);
  const one = work(test, db, await WorldCache.load(db));
  let done = 0;
  let stopAt = Date.now() + 1000; // warm-up
  const loop = async (): Promise<void> => { while (Date.now() < stopAt) { await one(); done++; } };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  done = 0;
  const cpu = process.cpuUsage();
  const dbCpu = treeCpuMicros(pg.pid);
  stopAt = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  const used = process.cpuUsage(cpu);
  const dbUsed = treeCpuMicros(pg.pid) - dbCpu;
  process.stdout.write(`${test}: ${done} requests in ${seconds} s; ` +
    `${((used.user + used.system) / done).toFixed(1)} µs of this process and ${(dbUsed / done).toFixed(1)} µs of PostgreSQL per request\n`);
  await db.end();
} finally {
  await pg.stop();
}
