// A throw-away PostgreSQL for the TechEmpower scenarios, examples and tests: initdb in a
// temporary directory, `postgres` listening on a Unix socket in that directory only (no
// TCP: listen_addresses=''), stopped and deleted by stop(). PostgreSQL refuses to run as
// root, so as root initdb and postgres run as the `postgres` system user (Debian's
// package creates it) and the directory is handed to that user.
//
//   const pg = await startPostgres({ core: 0 });
//   if ('skip' in pg) console.log(pg.skip);
//   else { const sql = postgres(pg.connectionOptions); await createTfbSchema(sql); …; await pg.stop(); }

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** What a driver needs: `postgres` (porsager) and `pg` both take a directory as host for a Unix socket. */
export interface PgConnectionOptions {
  host: string;
  port: number;
  user: string;
  database: string;
}

export interface RunningPostgres {
  /** The directory holding the socket `.s.PGSQL.<port>` (and the data directory). */
  socketDir: string;
  /** Names the socket file only: nothing listens on TCP. */
  port: number;
  connectionOptions: PgConnectionOptions;
  /** The postmaster; its process tree (backends included) is the database's CPU. */
  pid: number;
  /** Fast shutdown (SIGINT), wait for exit (SIGKILL after 10 s), delete the directory. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Pin the postmaster and every backend to this core (`taskset -c`). */
  core?: number;
  /** Directory of initdb/postgres; default $TSGI_PG_BIN or the newest /usr/lib/postgresql/N/bin. */
  binDir?: string;
  /** Server log lines (stderr of postgres). */
  log?: (line: string) => void;
}

const PG_PORT = 5432;
const PG_ROOT = '/usr/lib/postgresql';

/** The newest Debian-packaged PostgreSQL, or undefined. */
export function findPostgresBin(): string | undefined {
  const fromEnv = process.env.TSGI_PG_BIN;
  if (fromEnv) return existsSync(join(fromEnv, 'postgres')) ? fromEnv : undefined;
  let versions: string[] = [];
  try { versions = readdirSync(PG_ROOT); } catch { return undefined; }
  const found = versions
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'postgres')) && existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return found[0] === undefined ? undefined : join(PG_ROOT, found[0], 'bin');
}

interface RunAs { prefix: string[]; uid?: number; gid?: number }

/** As root: run as the `postgres` user through runuser (PostgreSQL refuses root). */
function runAs(): RunAs | { skip: string } {
  if (userInfo().uid !== 0) return { prefix: [] };
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0 || gid.status !== 0) return { skip: 'running as root and there is no `postgres` user to run PostgreSQL as' };
  if (!existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) return { skip: 'running as root and runuser(1) is missing' };
  return { prefix: ['runuser', '-u', 'postgres', '--'], uid: Number(id.stdout), gid: Number(gid.stdout) };
}

/** The settings TFB's own PostgreSQL image uses where they matter here (synchronous_commit
 * off), plus fsync off: the database is deleted after the run, and a shared disk must not
 * time the updates test. */
const SERVER_SETTINGS = [
  `listen_addresses=`, `port=${PG_PORT}`, 'max_connections=200', 'shared_buffers=128MB',
  'synchronous_commit=off', 'fsync=off', 'full_page_writes=off', 'autovacuum=on', 'log_min_messages=warning',
];

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => { clearTimeout(timer); resolve(true); });
  });
}

/** The postmaster's pid from `postmaster.pid` (first line), once it is written. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a private PostgreSQL, or says why it cannot (never throws for a missing install). */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<RunningPostgres | { skip: string }> {
  const bin = options.binDir ?? findPostgresBin();
  if (!bin) {
    const env = process.env.TSGI_PG_BIN;
    return { skip: env ? `TSGI_PG_BIN=${env} holds no postgres binary` : `PostgreSQL is not installed (no ${PG_ROOT}/<version>/bin/postgres; apt-get install postgresql)` };
  }
  const as = runAs();
  if ('skip' in as) return as;
  if (!existsSync('/usr/bin/taskset') && options.core !== undefined) return { skip: 'taskset(1) is missing' };

  const dir = mkdtempSync(join(tmpdir(), 'tsgi-pg-'));
  const dataDir = join(dir, 'data');
  // The socket lives here: other users (the bench runs as root, postgres as `postgres`) must reach it.
  chmodSync(dir, 0o755);
  if (as.uid !== undefined) chownSync(dir, as.uid, as.gid!);
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });

  const init = spawnSync(as.prefix[0] ?? join(bin, 'initdb'), [
    ...as.prefix.slice(1), ...(as.prefix.length > 0 ? [join(bin, 'initdb')] : []),
    '-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync',
  ], { encoding: 'utf8' });
  if (init.status !== 0) {
    cleanup();
    const why = `${init.stderr ?? ''}${init.error?.message ?? ''}`.trim().split('\n').slice(-2).join(' | ');
    return { skip: `initdb failed: ${why}` };
  }

  const server = [...as.prefix, join(bin, 'postgres'), '-D', dataDir, '-k', dir, ...SERVER_SETTINGS.flatMap((s) => ['-c', s])];
  const command = options.core === undefined ? server : ['taskset', '-c', String(options.core), ...server];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); options.log?.(d.toString()); });
  child.once('error', (e) => { output += e.message; });

  // Ready when the server says so (it logs at LOG level even with log_min_messages=warning).
  const deadline = Date.now() + 30_000;
  let pid: number | undefined;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    pid = postmasterPid(dataDir);
    if (pid !== undefined && /ready to accept connections/.test(output)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const socket = join(dir, `.s.PGSQL.${PG_PORT}`);
  if (pid === undefined || !existsSync(socket) || child.exitCode !== null) {
    child.kill('SIGKILL');
    await waitExit(child, 5000);
    cleanup();
    return { skip: `postgres did not start: ${output.trim().split('\n').slice(-2).join(' | ') || 'no output within 30 s'}` };
  }
  const postmaster = pid;
  // A process that exits without stop() (Ctrl-C of the bench, a crashed test file) must not
  // leave a postgres running on a deleted directory: immediate shutdown (SIGQUIT), synchronously.
  const onExit = (): void => {
    try { process.kill(postmaster, 'SIGQUIT'); } catch { /* gone */ }
    cleanup();
  };
  process.once('exit', onExit);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      process.off('exit', onExit);
      // SIGINT to the postmaster itself: "fast" shutdown (runuser would only forward it).
      try { process.kill(postmaster, 'SIGINT'); } catch { /* gone */ }
      if (!(await waitExit(child, 10_000))) {
        try { process.kill(postmaster, 'SIGKILL'); } catch { /* gone */ }
        child.kill('SIGKILL');
        await waitExit(child, 5000);
      }
      cleanup();
    })();
    return stopped;
  };
  return {
    socketDir: dir,
    port: PG_PORT,
    connectionOptions: { host: dir, port: PG_PORT, user: 'postgres', database: 'postgres' },
    pid: postmaster,
    stop,
  };
}

/** The smallest surface of a driver's tagged-template client that the schema needs
 * (`postgres`' Sql: `sql.unsafe(text)`). */
export interface UnsafeSql { unsafe(query: string): PromiseLike<unknown> }

/** TFB's 12 fortunes, as TechEmpower's create-postgres.sql inserts them (the Japanese one
 * tests UTF-8, the `<script>` one tests escaping). */
export const TFB_FORTUNES: readonly (readonly [number, string])[] = [
  [1, 'fortune: No such file or directory'],
  [2, "A computer scientist is someone who fixes things that aren't broken."],
  [3, 'After enough decimal places, nobody gives a damn.'],
  [4, 'A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1'],
  [5, 'A computer program does what you tell it to do, not what you want it to do.'],
  [6, 'Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen'],
  [7, 'Any program that runs right is obsolete.'],
  [8, 'A list is only as strong as its weakest link. — Donald Knuth'],
  [9, 'Feature: A bug with seniority.'],
  [10, 'Computers make very fast, very accurate mistakes.'],
  [11, '<script>alert("This should not be displayed in a browser alert box.");</script>'],
  [12, 'フレームワークのベンチマーク'],
];

export const WORLD_ROWS = 10_000;

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** TFB's tables (unquoted names: `world(id, randomnumber)`, `fortune(id, message)`), 10,000
 * World rows with random numbers 1–10000, the 12 fortunes. Replaces existing tables. */
export async function createTfbSchema(sql: UnsafeSql): Promise<void> {
  // One statement per call: drivers send parameterless text through the extended protocol,
  // which takes a single statement.
  const statements = [
    'SET client_min_messages = warning', // no NOTICE for the DROPs of a fresh database
    'DROP TABLE IF EXISTS world',
    'DROP TABLE IF EXISTS fortune',
    'CREATE TABLE world (id integer NOT NULL, randomNumber integer NOT NULL DEFAULT 0, PRIMARY KEY (id))',
    `INSERT INTO world (id, randomnumber)
       SELECT x.id, least(floor(random() * 10000 + 1), 10000) FROM generate_series(1, ${WORLD_ROWS}) AS x(id)`,
    'CREATE TABLE fortune (id integer NOT NULL, message varchar(2048) NOT NULL, PRIMARY KEY (id))',
    `INSERT INTO fortune (id, message) VALUES ${TFB_FORTUNES.map(([id, m]) => `(${id}, ${quote(m)})`).join(', ')}`,
    'ANALYZE world',
    'ANALYZE fortune',
  ];
  for (const statement of statements) await sql.unsafe(statement);
}
