// The native engine's Date header (RFC 9110 §6.6.1: the time the response was generated)
// follows the wall clock: its once-a-second text is renewed just after each second
// begins, so a response never names a second that ended more than a moment ago.
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { header, RawConnection } from '../helpers/raw-http.js';
import { engines, start } from '../helpers/server.js';

/** How long after a second begins a response may still name the second before. */
const SLACK_MS = 50;
const SAMPLE_MS = 2300;

const hello: App = (_e, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return ['d']; };

describe.skipIf(!engines.includes('native'))('native Date header', () => {
  it(`is never behind the wall-clock second by more than ${SLACK_MS} ms, across second boundaries`, async () => {
    const server = await start(hello, 'native');
    const c = new RawConnection(server.port);
    const late: string[] = [];
    const seconds = new Set<number>();
    let n = 0;
    // Back-to-back requests on one connection for over two seconds: hundreds of samples,
    // at every phase of the second, two boundaries crossed.
    for (const end = Date.now() + SAMPLE_MS; Date.now() < end; n++) {
      const sent = Date.now();
      await c.write('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
      const responses = await c.responses(n + 1);
      const received = Date.now();
      const named = Date.parse(header(responses[n]!, 'date')!);
      seconds.add(named);
      // Generated between `sent` and `received`: it may not name a second that had
      // ended SLACK_MS before `sent`, nor one that had not begun at `received`.
      if (named + 1000 + SLACK_MS <= sent) late.push(`sent at ${new Date(sent).toISOString()}, Date ${new Date(named).toISOString()}`);
      expect(named).toBeLessThanOrEqual(received);
    }
    c.close();
    expect(n).toBeGreaterThan(50);
    expect(seconds.size).toBeGreaterThanOrEqual(2);
    expect(late).toEqual([]);
  });
});
