// Differential check: every corpus case, whole, against Debian's gunicorn and against
// tsgi on every engine. The accept/reject decision and the CGI values must agree, except
// where the case declares a deliberate difference (`gunicorn:` with its reason).

import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { serveFast } from '../../src/index.js';
import type { EngineName, Server } from '../../src/types.js';
import { engines, memoryLogger } from '../helpers/server.js';
import { loadCorpus } from './corpus.js';
import { echoApp } from './echo-app.js';
import { appendFileSync } from 'node:fs';
import { bothAllowed, differences, GUNICORN, IGNORED_KEYS, gunicornAbsent, startGunicorn, type Gunicorn } from './gunicorn.js';
import { observe } from './replay.js';
import { skipReason } from './suite.js';

/** gunicorn waits for bodies it was promised; 1 s is plenty on loopback. */
const GUNICORN_TIMEOUT_MS = 1000;

interface Tally { agree: number; deliberate: number; allowed: number; disagree: number; skipped: number }

vi.setConfig({ maxConcurrency: 12 });
describe.skipIf(gunicornAbsent)(`differential against gunicorn${gunicornAbsent ? ` (skipped: ${GUNICORN} is absent; CI installs it with apt-get install -y gunicorn)` : ''}`, () => {
  const corpus = loadCorpus();
  let gunicorn: Gunicorn;
  const servers = new Map<EngineName, Server>();
  const tally = new Map<string, Tally>(engines.map((e) => [e, { agree: 0, deliberate: 0, allowed: 0, disagree: 0, skipped: 0 }]));
  const stale: string[] = [];
  beforeAll(async () => {
    gunicorn = await startGunicorn();
    for (const engine of engines) {
      // No validator here: gunicorn has none, and the decision compared is the server's.
      servers.set(engine, await serveFast(echoApp, { host: '127.0.0.1', port: 0, engine, logger: memoryLogger() }));
    }
  });
  afterAll(async () => {
    await gunicorn?.stop();
    await Promise.all([...servers.values()].map((s) => s.close()));
    for (const [engine, n] of tally) {
      console.log(`gunicorn differential, ${engine}: ${n.agree} agree, ${n.deliberate} deliberate differences, ${n.allowed} differ within what the RFC allows, ${n.disagree} unexpected, ${n.skipped} skipped (uws limits) of ${corpus.length} cases`);
    }
    console.log(`never compared: ${Object.entries(IGNORED_KEYS).map(([k, why]) => `${k} (${why})`).join('; ')}`);
    if (stale.length) console.log(`declared differences that did not show:\n${stale.join('\n')}`);
  });

  for (const c of corpus) {
    it.concurrent(`${c.file} › ${c.name}`, async ({ expect }) => {
      const g = await observe(gunicorn.port, c, undefined, GUNICORN_TIMEOUT_MS);
      const unexpected: string[] = [];
      for (const [engine, server] of servers) {
        const n = tally.get(engine)!;
        if (skipReason(c, engine)) { n.skipped++; continue; }
        const t = await observe(server.port, c);
        const diff = differences(c, g, t, engine);
        let verdict: string;
        if (diff.length === 0) {
          n.agree++;
          verdict = 'agree';
          if (c.gunicornDifference) stale.push(`${engine}: "${c.name}" (${c.gunicornDifference})`);
        } else if (c.gunicornDifference) { n.deliberate++; verdict = 'deliberate'; }
        else if (bothAllowed(c, g, t)) { n.allowed++; verdict = 'allowed'; }
        else { n.disagree++; verdict = 'unexpected'; unexpected.push(`${engine}: ${diff.join('; ')}`); }
        const report = process.env.TSGI_GUNICORN_JSON;
        if (report) appendFileSync(report, JSON.stringify({ engine, file: c.file, name: c.name, verdict, diff, gunicorn: g.statuses, tsgi: t.statuses }) + '\n');
      }
      expect(unexpected, unexpected.join('\n')).toEqual([]);
    });
  }
});
