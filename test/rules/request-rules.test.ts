// One table of request rules (request-rules.tsv), run three ways: by the JavaScript rules
// themselves (src/engines/http-rules.ts requestStatus, src/keep-alive.ts
// requestKeepAlive), on the wire by every engine through serveFast, and by the C++ parser
// in native/test/rules_test.cc (`npm run test:native-unit`). A rule changed in one place
// and not the other fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { factsOf, requestStatus } from '../../src/engines/http-rules.js';
import { requestKeepAlive } from '../../src/keep-alive.js';
import type { App } from '../../src/types.js';
import { exchangeRaw, header } from '../helpers/raw-http.js';
import { engines, start, UWS_LIMITS } from '../helpers/server.js';

interface Row { expected: string; name: string; raw: string }

/** The table; `raw` holds one latin-1 code unit per byte. */
export const rows: Row[] = readFileSync(new URL('./request-rules.tsv', import.meta.url), 'latin1')
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => {
    const [expected, name, escaped] = line.split('\t') as [string, string, string];
    const raw = escaped.replace(/\\(x[0-9a-fA-F]{2}|[rnt\\])/g, (_, e: string) =>
      e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : ({ r: '\r', n: '\n', t: '\t', '\\': '\\' } as Record<string, string>)[e]!);
    return { expected, name, raw };
  });

/** The JavaScript rules' verdict on a raw head (the table holds well-formed syntax). */
function verdict(raw: string): string {
  const lines = raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n');
  const [method, target, version = ''] = lines[0]!.split(' ') as [string, string, string?];
  const m = /^HTTP\/(\d)\.(\d)$/.exec(version);
  const fields: string[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    fields.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const major = m ? Number(m[1]) : 0;
  const minor = m ? Number(m[2]) : 9;
  const status = requestStatus(factsOf(method, target, major, minor, fields));
  if (status !== 0) return String(status);
  const connection = fields.flatMap((v, i) => (i % 2 === 0 && v.toLowerCase() === 'connection' ? [fields[i + 1]!] : [])).join(', ');
  return requestKeepAlive(minor, connection === '' ? undefined : connection) ? 'ka' : 'close';
}

describe('the JavaScript request rules on request-rules.tsv', () => {
  it('holds cases', () => expect(rows.length).toBeGreaterThan(50));
  it.each(rows)('$name → $expected', ({ raw, expected }) => {
    expect(verdict(raw)).toBe(expected);
  });
});

const app: App = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return ['ok'];
};

/** Rows an engine's own parser answers before tsgi's rules run, each with the reason;
 * undefined when the engine hands the request to tsgi. */
function engineOwn(engine: string, row: Row): string | undefined {
  const line = row.raw.slice(0, row.raw.indexOf('\r\n'));
  if (engine === 'node') {
    if (/ HTTP\/(1\.2|3\.0)$/.test(line)) return 'llhttp answers other HTTP versions with its own 400';
    if (line.startsWith('CONNECT ')) return "node:http hands CONNECT to a 'connect' listener without a response, and closes it";
  }
  if (engine === 'uws') {
    if (/ HTTP\/1\.0$/.test(line)) return UWS_LIMITS.http10;
    if (!/^\S+ \/\S* HTTP\/1\.1$/.test(line)) return 'uWS v20.30 routes HTTP/1.1 origin-form requests only';
    if ((row.raw.match(/\r\nHost:/gi) ?? []).length > 1) return 'uWS v20.30 shows only the first Host field';
    if (!/\r\nHost:/i.test(row.raw)) return 'uWS v20.30 never answers a request without Host';
    if (/\r\n(Content-Length|Transfer-Encoding):\r\n/i.test(row.raw)) return 'uWS v20.30 getHeader cannot tell an empty field from a missing one';
  }
  return undefined;
}

describe.each(engines)('request-rules.tsv on the wire, engine %s', (engine) => {
  for (const row of rows) {
    const own = engineOwn(engine, row);
    it.skipIf(own)(`${row.name} → ${row.expected}${own ? ` (skipped: ${own})` : ''}`, async () => {
      const { raw, expected } = row;
      // No validator: these rows are about the request rules, not the environ of odd forms.
      const server = await start(app, engine, {}, { validate: false });
      // An accepted chunked request gets its (empty) body: the last-chunk.
      const body = (expected === 'ka' || expected === 'close') && /\r\nTransfer-Encoding:/i.test(raw) ? '0\r\n\r\n' : '';
      const { responses, closed } = await exchangeRaw(server.port, raw + body);
      const r = responses[0];
      if (expected === 'ka' || expected === 'close') {
        expect(r?.status).toBe(200);
        const connection = (header(r!, 'connection') ?? '').toLowerCase();
        expect(connection.includes('close')).toBe(expected === 'close');
      } else if (engine === 'uws' && r === undefined) {
        // uWS v20.30 refuses malformed framing fields itself: it closes without an answer.
        expect(closed).toBe(true);
      } else {
        expect(r?.status).toBe(Number(expected));
      }
    });
  }
});
