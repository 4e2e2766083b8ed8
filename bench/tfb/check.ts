// The runner's check of a TFB row before it is timed (bench/lib/check.ts calls it): every
// TFB verification rule of the scenario's test over a real socket, plaintext also
// pipelined 16 deep, and for updates the database read back before and after.

import postgres from 'postgres';
import type { PgConnectionOptions } from './postgres.js';
import { TFB_PIPELINE_DEPTH, type TfbCheckKind } from './scenarios.js';
import { checkPlaintextPipelined, socketFetch, verifyTfb, type ReadWorlds, type TfbTest } from './verify.js';

let database: PgConnectionOptions | undefined;

/** The database the TFB servers use (the runner sets it once PostgreSQL is up). */
export function setTfbDatabase(connection: PgConnectionOptions | undefined): void {
  database = connection;
}

/** World as the database holds it, read over a connection of its own. */
export function worldReader(connection: PgConnectionOptions): ReadWorlds {
  return async () => {
    const sql = postgres({ ...connection, max: 1, onnotice: () => {} });
    try {
      const rows = await sql<{ id: number; r: number }[]>`SELECT id, randomnumber AS r FROM world`;
      return new Map(rows.map((row) => [row.id, row.r]));
    } finally {
      await sql.end({ timeout: 1 });
    }
  };
}

export async function checkTfb(kind: TfbCheckKind, port: number): Promise<void> {
  const test = kind.slice('tfb-'.length) as TfbTest;
  if (test === 'updates' && !database) throw new Error('updates: no database to read back (setTfbDatabase)');
  await verifyTfb(test, socketFetch(port), database ? worldReader(database) : undefined);
  if (test === 'plaintext') await checkPlaintextPipelined(port, TFB_PIPELINE_DEPTH);
}
