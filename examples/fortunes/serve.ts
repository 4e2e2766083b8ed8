// `npm run example:pg` (node dist/examples/fortunes/serve.js): the fortunes example on
// port 8000 (PORT, HOST and ENGINE override) against the PostgreSQL in DATABASE_URL, or,
// without it, the one the PG* variables name (libpq's defaults: localhost:5432, your user).
import postgres from 'postgres';
import { serveExample } from '../serve.js';
import { createFortunesApp } from './app.js';
import { migrate } from './db.js';

const url = process.env.DATABASE_URL;
const sql = url ? postgres(url, { max: 10 }) : postgres({ max: 10 });
try {
  await migrate(sql);
} catch (error) {
  console.error(`fortunes: cannot use the database (${url ? 'DATABASE_URL' : 'PG* defaults'}): ${(error as Error).message}`);
  console.error('Set DATABASE_URL, e.g. DATABASE_URL=postgres://postgres@localhost:5432/postgres npm run example:pg');
  await sql.end({ timeout: 1 });
  process.exit(1);
}
await serveExample('fortunes', createFortunesApp(sql));
