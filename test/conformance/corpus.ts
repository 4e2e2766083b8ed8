// Reads the conformance corpus: test/conformance/cases/*.md, one Markdown file per
// concern, in the llhttp style. A case is a `##` heading (its name), a paragraph saying
// why (with the RFC section), an `http` block of raw bytes and an `expect` block.
//
// The `http` block: lines are concatenated WITHOUT separators, so every byte is written
// explicitly: \r \n \t \v \0 \\ and \xHH are escapes ("Host: a\r\n"). A line may also be
// `<repeat N>text</repeat>` to write `text` N times (oversized lines).
//
// The `expect` block, one `key: value` per line:
//   status: 200 400|501        one entry per response, in order; `|` lists what the RFC
//                              allows; `200` means the app answered (echo app)
//   close: yes | no | any      must the server close after the last response (default:
//                              yes when the last status is >= 400, else no)
//   PATH_INFO: /a%20b          environ the app must see for request 1 (escapes apply);
//   2.PATH_INFO: /b            … for request 2; the value `<absent>` means not set,
//                              `<listening port>` the port the server listens on
//   body: hello                the body bytes the app read (latin-1, escapes apply)
//   skip-uws: http10           skip uws for this case, with that documented reason
//   gunicorn: <reason>         a deliberate difference from gunicorn, and why

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EnvironExpectation {
  /** 0-based request index. */
  request: number;
  key: string;
  /** undefined: the key must be absent. */
  value: string | undefined;
}

export interface ConformanceCase {
  file: string;
  name: string;
  why: string;
  bytes: Buffer;
  /** Per response: the statuses the RFC allows. */
  statuses: number[][];
  close: 'yes' | 'no' | 'any';
  environ: EnvironExpectation[];
  skipUws: string | undefined;
  gunicornDifference: string | undefined;
}

export const ABSENT = '<absent>';

/** Decode the escapes of the corpus format into bytes (each char ≤ 0xFF is one byte). */
export function unescapeBytes(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') { pushChar(out, text.charCodeAt(i)); continue; }
    const e = text[++i];
    switch (e) {
      case 'r': out.push(13); break;
      case 'n': out.push(10); break;
      case 't': out.push(9); break;
      case 'v': out.push(11); break;
      case '0': out.push(0); break;
      case '\\': out.push(92); break;
      case 'x': out.push(parseInt(text.slice(i + 1, i + 3), 16)); i += 2; break;
      default: throw new Error(`unknown escape \\${e} in ${JSON.stringify(text)}`);
    }
  }
  return Buffer.from(out);
}

function pushChar(out: number[], code: number): void {
  if (code <= 0x7f) out.push(code);
  else out.push(...Buffer.from(String.fromCharCode(code), 'utf8')); // literal UTF-8 in the file
}

/** Expand `<repeat N>text</repeat>`, innermost first, so repeats may nest. */
function expandLine(line: string): string {
  const innermost = /<repeat (\d+)>((?:(?!<repeat )[^])*?)<\/repeat>/g;
  while (innermost.test(line)) {
    innermost.lastIndex = 0;
    line = line.replace(innermost, (_m, n: string, s: string) => s.repeat(Number(n)));
  }
  return line;
}

function parseExpect(c: ConformanceCase, block: string[]): void {
  let closeSet = false;
  for (const line of block) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`${c.file} "${c.name}": bad expect line ${JSON.stringify(line)}`);
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'status') {
      c.statuses = value.split(/\s+/).map((alt) => alt.split('|').map(Number));
    } else if (key === 'close') {
      if (value !== 'yes' && value !== 'no' && value !== 'any') throw new Error(`${c.name}: close must be yes, no or any`);
      c.close = value;
      closeSet = true;
    } else if (key === 'skip-uws') c.skipUws = value;
    else if (key === 'gunicorn') c.gunicornDifference = value;
    else {
      const m = /^(?:(\d+)\.)?([A-Za-z_][A-Za-z0-9_.]*)$/.exec(key);
      if (!m) throw new Error(`${c.name}: bad key ${key}`);
      const decoded = value === ABSENT ? undefined : unescapeBytes(value).toString('latin1');
      c.environ.push({ request: m[1] ? Number(m[1]) - 1 : 0, key: m[2]!, value: decoded });
    }
  }
  if (c.statuses.length === 0) throw new Error(`${c.file} "${c.name}": no status`);
  if (!closeSet) c.close = Math.min(...c.statuses.at(-1)!) >= 400 ? 'yes' : 'no';
}

export function parseCorpusFile(file: string, text: string): ConformanceCase[] {
  const cases: ConformanceCase[] = [];
  let current: ConformanceCase | undefined;
  let fence: 'http' | 'expect' | undefined;
  let block: string[] = [];
  for (const line of text.split('\n')) {
    if (fence) {
      if (line.startsWith('```')) {
        if (!current) throw new Error(`${file}: block before any case`);
        if (fence === 'http') current.bytes = unescapeBytes(block.map(expandLine).join(''));
        else parseExpect(current, block);
        fence = undefined;
        block = [];
      } else block.push(line);
      continue;
    }
    if (line.startsWith('## ')) {
      current = { file, name: line.slice(3).trim(), why: '', bytes: Buffer.alloc(0), statuses: [], close: 'no', environ: [], skipUws: undefined, gunicornDifference: undefined };
      cases.push(current);
    } else if (line.startsWith('```http')) fence = 'http';
    else if (line.startsWith('```expect')) fence = 'expect';
    else if (current && line.trim() && !line.startsWith('#')) current.why += (current.why ? ' ' : '') + line.trim();
  }
  for (const c of cases) if (c.bytes.length === 0 || c.statuses.length === 0) throw new Error(`${file}: case "${c.name}" is incomplete`);
  return cases;
}

export const CASES_DIR = new URL('./cases/', import.meta.url).pathname;

/** Every case of the corpus, in file order. Names are unique. */
export function loadCorpus(dir = CASES_DIR): ConformanceCase[] {
  const all = readdirSync(dir).filter((f) => f.endsWith('.md')).sort()
    .flatMap((f) => parseCorpusFile(f, readFileSync(join(dir, f), 'utf8')));
  const seen = new Set<string>();
  for (const c of all) {
    if (seen.has(c.name)) throw new Error(`duplicate case name ${c.name}`);
    seen.add(c.name);
  }
  return all;
}
