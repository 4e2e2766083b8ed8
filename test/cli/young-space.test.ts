// --young-space: the V8 semi-space size the CLI gives its workers (src/cli/v8-flags.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { youngSpaceFlags } from '../../src/cli/v8-flags.js';
import { get, startTsgi, type Tsgi } from './helpers.js';

let server: Tsgi | undefined;
afterEach(async () => { await server?.stop(); server = undefined; });

async function workerReport(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ execArgv: string[]; newSpaceBytes: number }> {
  server = await startTsgi(['-k', 'node', '-b', '127.0.0.1:0', ...args, 'v8-app.mjs:app'], { env });
  const reply = await get(`${server.url}/`);
  expect(reply.status).toBe(200);
  return JSON.parse(reply.body.toString()) as { execArgv: string[]; newSpaceBytes: number };
}

describe('--young-space', () => {
  it('gives workers 16 MB semi-spaces by default', async () => {
    const r = await workerReport([]);
    expect(r.execArgv).toContain('--min-semi-space-size=16');
    expect(r.newSpaceBytes).toBeGreaterThanOrEqual(16 * 1024 * 1024);
  });

  it('takes a size, and 0 leaves Node its default', async () => {
    const sized = await workerReport(['--young-space', '32']);
    expect(sized.execArgv).toContain('--min-semi-space-size=32');
    expect(sized.newSpaceBytes).toBeGreaterThanOrEqual(32 * 1024 * 1024);
    await server!.stop();
    const none = await workerReport(['--young-space', '0']);
    expect(none.execArgv.some((a) => a.includes('semi-space'))).toBe(false);
    expect(none.newSpaceBytes).toBeLessThan(16 * 1024 * 1024);
  });

  it("leaves a semi-space size chosen in NODE_OPTIONS alone", async () => {
    const r = await workerReport([], { NODE_OPTIONS: '--max-semi-space-size=4' });
    expect(r.execArgv.some((a) => a.includes('semi-space'))).toBe(false);
  });

  it('flags: none for 0 or a user choice, else min and max', () => {
    expect(youngSpaceFlags(0, [], undefined)).toEqual([]);
    expect(youngSpaceFlags(16, ['--min-semi-space-size=2'], undefined)).toEqual([]);
    expect(youngSpaceFlags(16, [], '--max-old-space-size=100 --max-semi-space-size=8')).toEqual([]);
    expect(youngSpaceFlags(8, [], undefined)).toEqual(['--min-semi-space-size=8', '--max-semi-space-size=16']);
    expect(youngSpaceFlags(64, [], '--max-old-space-size=100')).toEqual(['--min-semi-space-size=64', '--max-semi-space-size=64']);
  });
});
