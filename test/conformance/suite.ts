// The one conformance runner: every corpus case, whole and split at several byte
// boundaries, against one engine. Each engine gets its own test file (so they run in
// parallel and each stays short); they all call runConformanceSuite.

import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, it, vi } from 'vitest';
import { serveFast } from '../../src/index.js';
import { validator } from '../../src/validate/index.js';
import type { EngineName, Server } from '../../src/types.js';
import { engines, memoryLogger, UWS_LIMITS } from '../helpers/server.js';
import { loadCorpus, type ConformanceCase } from './corpus.js';
import { LLHTTP_FAILURES, UWS_PARSER_FAILURES } from './known-failures.js';
import { echoApp } from './echo-app.js';
import { judge, observe, splitPoints } from './replay.js';

/** What uWebSockets.js v20.30 cannot do (README "What uWebSockets.js cannot do"); a
 * case names one of these keys in `skip-uws:` and uws is skipped with this reason. */
export const UWS_SKIP_REASONS: Record<string, string> = {
  ...UWS_LIMITS,
  chunkExtension: 'uWS v20.30 drops chunk extensions without an answer',
  underscore: 'uWS v20.30 drops header names containing "_" without an answer',
  obsFold: 'uWS v20.30 drops obs-fold without an answer',
  spaceBeforeColon: 'uWS v20.30 drops a space before the colon without an answer',
  malformedContentLength: 'uWS v20.30 drops a malformed Content-Length without an answer',
};

/** Why `engine` cannot run `c`, or undefined when it must. */
export function skipReason(c: ConformanceCase, engine: EngineName): string | undefined {
  const title = `${c.file} › ${c.name}`;
  if (engine === 'node' && LLHTTP_FAILURES.has(title)) return "llhttp, node:http's parser, refuses this RFC 9112-valid request (README: engines)";
  if (engine === 'uws' && UWS_PARSER_FAILURES.has(title)) {
    return "uWebSockets.js v20.30's own parser does not implement RFC 9112 here (README: What uWebSockets.js cannot do)";
  }
  if (engine !== 'uws' || c.skipUws === undefined) return undefined;
  const reason = UWS_SKIP_REASONS[c.skipUws];
  if (!reason) throw new Error(`case "${c.name}": unknown skip-uws key ${c.skipUws}`);
  return reason;
}

/** TSGI_CONFORMANCE_JSON=path appends one JSON line per case and engine (for reports). */
function record(engine: EngineName, c: ConformanceCase, failure: string | undefined): void {
  const path = process.env.TSGI_CONFORMANCE_JSON;
  if (path) appendFileSync(path, JSON.stringify({ engine, file: c.file, name: c.name, failure: failure ?? null }) + '\n');
}

export function runConformanceSuite(engine: EngineName): void {
  const corpus = loadCorpus();
  const available = engines.includes(engine);
  // Cases are independent connections to one server: run many at once, so the cases an
  // engine fails (each waits out a short timeout) do not add up.
  vi.setConfig({ maxConcurrency: 16 });
  describe.skipIf(!available)(`conformance corpus on ${engine}${available ? '' : ' (engine unavailable here)'}`, () => {
    let server: Server;
    const logger = memoryLogger();
    beforeAll(async () => {
      server = await serveFast(validator(echoApp), { host: '127.0.0.1', port: 0, engine, logger });
    });
    afterAll(async () => { await server?.close(); });

    for (const c of corpus) {
      const reason = skipReason(c, engine);
      const title = `${c.file} › ${c.name}`;
      if (reason) {
        it.skip(`${title} — skipped on ${engine}: ${reason}`, () => {});
        continue;
      }
      it.concurrent(title, async ({ expect }) => {
        // Whole first, then each split; the first failing variant is reported (a broken
        // case fails fast instead of waiting out every variant's timeout).
        const variants: (number | undefined)[] = [undefined, ...splitPoints(c.bytes)];
        let failure: string | undefined;
        for (const split of variants) {
          const problems = judge(c, await observe(server.port, c, split));
          if (problems.length) { failure = `${split === undefined ? 'whole' : `split at ${split}`}: ${problems.join('; ')}`; break; }
        }
        record(engine, c, failure);
        expect(failure, `${c.why}\n${failure}`).toBeUndefined();
      });
    }
  });
}
