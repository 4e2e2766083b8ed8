// The example's data: one table of fortunes in PostgreSQL, through the `postgres` driver
// (porsager's; the one the TechEmpower bench rows use). Every query is a tagged template,
// so values travel as parameters, never spliced into SQL text.
import type { Sql } from 'postgres';

export interface Fortune { id: number; message: string }

/** The fortunes a fresh database starts with (a few from TechEmpower's table: one needs
 * HTML escaping, one is not ASCII). */
const SEED = [
  'A computer scientist is someone who fixes things that aren\'t broken.',
  'Any program that runs right is obsolete.',
  '<script>alert("This should not be displayed in a browser alert box.");</script>',
  'フレームワークのベンチマーク',
];

/** Creates the table when missing and seeds it when empty; safe to run at every start. */
export async function migrate(sql: Sql): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS fortune (id serial PRIMARY KEY, message text NOT NULL)`;
  const [{ count }] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM fortune`;
  if (count === 0) await sql`INSERT INTO fortune ${sql(SEED.map((message) => ({ message })))}`;
}

export function listFortunes(sql: Sql, search?: string): Promise<Fortune[]> {
  // ILIKE with the search text escaped, so that % and _ in it match themselves.
  const pattern = search ? `%${search.replace(/[\\%_]/g, (c) => '\\' + c)}%` : undefined;
  return pattern
    ? sql<Fortune[]>`SELECT id, message FROM fortune WHERE message ILIKE ${pattern} ORDER BY id`
    : sql<Fortune[]>`SELECT id, message FROM fortune ORDER BY id`;
}

export async function getFortune(sql: Sql, id: number): Promise<Fortune | undefined> {
  const [row] = await sql<Fortune[]>`SELECT id, message FROM fortune WHERE id = ${id}`;
  return row;
}

export async function addFortune(sql: Sql, message: string): Promise<Fortune> {
  const [row] = await sql<Fortune[]>`INSERT INTO fortune (message) VALUES (${message}) RETURNING id, message`;
  return row!;
}

export async function deleteFortune(sql: Sql, id: number): Promise<boolean> {
  const rows = await sql`DELETE FROM fortune WHERE id = ${id}`;
  return rows.count > 0;
}
