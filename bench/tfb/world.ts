// The database work of the TechEmpower test types, shared by every server of the TFB
// scenarios so that they differ in their HTTP layer only: one driver (`postgres`, porsager's),
// one pool size, the same prepared statements. What each test must do is TFB's
// "Project Information / Framework Tests Overview": db reads one random World row, queries
// N rows with N separate queries, updates reads N rows one by one and writes them back
// (batching the writes is allowed), fortunes reads every Fortune row, cached-queries reads
// from an in-process cache filled once.

import postgres from 'postgres';
import type { PgConnectionOptions } from './postgres.js';

/** Connections per server process, the same for every server (TSGI_BENCH_PG_POOL changes it
 * for all of them). One: `postgres` pipelines every concurrent query on it, so one write and
 * one read carry many queries, and the database (pinned to the server's core) runs one
 * backend. Measured against 4 (docs/benchmarks.md): 25–30% less server and database CPU per
 * request on db and fortunes, for every server. TFB's fastify entry uses one per process too. */
export const TFB_POOL_SIZE = Number(process.env.TSGI_BENCH_PG_POOL ?? 1);

/** The environment variable through which the runner hands the database to a server (JSON). */
export const TFB_PG_ENV = 'TSGI_BENCH_PG';

export interface World { id: number; randomNumber: number }
export interface Fortune { id: number; message: string }

/** 1..10000, uniformly (TFB: "a random number between 1 and 10000"). */
export const randomId = (): number => 1 + Math.floor(Math.random() * 10_000);

/** TFB's rule for `queries` and `count`: absent or not an integer → 1, below 1 → 1, above
 * 500 → 500. parseInt reads a leading integer ("20abc" → 20) as the reference entries do. */
export function queryCount(raw: string | null | undefined): number {
  const n = raw == null ? NaN : Number.parseInt(raw, 10);
  if (!Number.isFinite(n) || n < 1) return 1;
  return n > 500 ? 500 : n;
}

export interface TfbDb {
  world(id: number): Promise<World | undefined>;
  /** `count` rows, one query each (pipelined on the pool's connections). */
  worlds(count: number): Promise<World[]>;
  /** Reads `count` rows one by one, gives each a new random number, writes them back in
   * one statement; resolves to the rows as written. */
  updateWorlds(count: number): Promise<World[]>;
  fortunes(): Promise<Fortune[]>;
  /** Every World row, for the cache of cached-queries. */
  allWorlds(): Promise<World[]>;
  end(): Promise<void>;
}

export function connectionFromEnv(): PgConnectionOptions {
  const raw = process.env[TFB_PG_ENV];
  if (!raw) throw new Error(`${TFB_PG_ENV} is not set (the TFB scenarios start PostgreSQL and set it)`);
  return JSON.parse(raw) as PgConnectionOptions;
}

export function openTfbDb(connection: PgConnectionOptions, poolSize = TFB_POOL_SIZE): TfbDb {
  const sql = postgres({ ...connection, max: poolSize, prepare: true, onnotice: () => {} });
  const world = async (id: number): Promise<World | undefined> => {
    const rows = await sql<World[]>`SELECT id, randomnumber AS "randomNumber" FROM world WHERE id = ${id}`;
    return rows[0];
  };
  const worlds = (count: number): Promise<World[]> => {
    const pending: Promise<World | undefined>[] = [];
    for (let i = 0; i < count; i++) pending.push(world(randomId()));
    return Promise.all(pending).then((rows) => rows.filter((r): r is World => r !== undefined));
  };
  return {
    world,
    worlds,
    async updateWorlds(count) {
      const rows = await worlds(count);
      for (const row of rows) row.randomNumber = randomId();
      // Sorted ids: concurrent updates on several connections then lock rows in the same
      // order and cannot deadlock. unnest() of two arrays: one prepared statement for any count.
      const sorted = [...rows].sort((a, b) => a.id - b.id);
      await sql`UPDATE world SET randomnumber = v.r
        FROM unnest(${sql.array(sorted.map((r) => r.id))}::int[], ${sql.array(sorted.map((r) => r.randomNumber))}::int[]) AS v(id, r)
        WHERE world.id = v.id`;
      return rows;
    },
    fortunes: () => sql<Fortune[]>`SELECT id, message FROM fortune`.then((rows) => [...rows]),
    allWorlds: () => sql<World[]>`SELECT id, randomnumber AS "randomNumber" FROM world`.then((rows) => [...rows]),
    end: () => sql.end({ timeout: 1 }),
  };
}

/** The in-memory cache of cached-queries: every World row by id, filled once at start. */
export class WorldCache {
  private readonly byId = new Map<number, World>();
  static async load(db: TfbDb): Promise<WorldCache> {
    const cache = new WorldCache();
    for (const row of await db.allWorlds()) cache.byId.set(row.id, row);
    return cache;
  }
  /** `count` random rows (ids the table does not hold are skipped). */
  pick(count: number): World[] {
    const out: World[] = [];
    for (let i = 0; i < count; i++) {
      const row = this.byId.get(randomId());
      if (row) out.push(row);
    }
    return out;
  }
}
