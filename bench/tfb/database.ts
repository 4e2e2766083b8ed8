// The runner's side of the TFB database: start PostgreSQL (bench/tfb/postgres.ts), load
// TFB's tables, tell the answer checks where it is. A machine without PostgreSQL gets a
// skip reason, printed once, and the tfb-* rows say "unavailable" with it.

import postgres from 'postgres';
import { setTfbDatabase } from './check.js';
import { createTfbSchema, startPostgres, type RunningPostgres } from './postgres.js';

export async function startTfbDatabase(core: number, log: (line: string) => void): Promise<{ running: RunningPostgres } | { skip: string }> {
  const started = await startPostgres({ core, log });
  if ('skip' in started) return started;
  const sql = postgres({ ...started.connectionOptions, max: 1, onnotice: () => {} });
  try {
    await createTfbSchema(sql);
  } catch (error) {
    await started.stop();
    return { skip: `loading TFB's tables failed: ${(error as Error).message}` };
  } finally {
    await sql.end({ timeout: 1 });
  }
  setTfbDatabase(started.connectionOptions);
  return { running: started };
}
