// CI check of the soak: `npm run stress` at a small size. Builds the stress scripts (the
// server runs as a child process, so it must be plain JS), runs every engine, and
// requires every response verified, RSS flat after warm-up and no descriptor left.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { EngineResult } from './run.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function run(command: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => resolve({ code, out }));
  });
}

it('soaks every engine with mixed requests: all verified, RSS flat, no descriptor left', async () => {
  // tsc emits even when another file of the tree is mid-edit; the run is what we judge.
  await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'test/stress/tsconfig.json']);
  expect(existsSync(`${root}/dist/test/stress/run.js`)).toBe(true);
  const { code, out } = await run(process.execPath, ['dist/test/stress/run.js', '--size', '3000', '--connections', '8']);
  const line = out.split('\n').find((l) => l.startsWith('STRESS_RESULT '));
  expect(line, out).toBeDefined();
  const { results } = JSON.parse(line!.slice('STRESS_RESULT '.length)) as { results: EngineResult[] };
  expect(results.length).toBeGreaterThan(0);
  for (const r of results) {
    expect(r.problems, `${r.engine}: ${out}`).toEqual([]);
    expect(r.verified).toBe(r.requests);
    expect(r.fds.afterClients).toBeLessThanOrEqual(r.fds.idle);
  }
  expect(code).toBe(0);
}, 60_000);
