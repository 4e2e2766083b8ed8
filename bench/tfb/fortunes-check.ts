// Is a fortunes page right? TFB's verifier (toolset/test_types/fortune/fortune_html_parser.py)
// parses the page, normalises what may legally differ (tag case, equivalent character
// references, quotes and '>' left unescaped in text, whitespace between tags, <meta>,
// <thead>/<tbody> and scripts) and compares it with one expected text. This is the same
// normalisation, written for this bench, and TFB's expected text.

import { ADDED_FORTUNE } from './fortunes.js';
import { TFB_FORTUNES } from './postgres.js';

/** The normalised page every server must produce (rows sorted by message, escaped). */
export function expectedFortunes(): string {
  const rows = [...TFB_FORTUNES.map(([id, message]) => ({ id, message })), { id: 0, message: ADDED_FORTUNE }];
  rows.sort((a, b) => (a.message < b.message ? -1 : 1));
  const text = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&apos;');
  return '<!doctype html><html>\n<head><title>Fortunes</title></head>\n<body><table>\n'
    + '<tr><th>id</th><th>message</th></tr>\n'
    + rows.map((r) => `<tr><td>${r.id}</td><td>${text(r.message)}</td></tr>\n`).join('')
    + '</table></body></html>';
}

const IGNORED = new Set(['<meta>', '</meta>', '<link>', '</link>', '<thead>', '</thead>', '<tbody>', '</tbody>']);
/** Numeric references that may stand for a character, and what they normalise to. */
const CHARREFS: Record<number, string> = { 34: '&quot;', 39: '&apos;', 43: '+', 62: '&gt;', 60: '&lt;', 47: '/', 40: '(', 41: ')' };

/** The page as TFB's parser normalises it. */
export function normalizeFortunes(html: string): string {
  const out: string[] = [];
  let inScript = false;
  const append = (item: string): void => {
    if (item === '<script>') inScript = true;
    const skip = inScript || IGNORED.has(item);
    if (item === '</script>') inScript = false;
    if (!skip) out.push(item);
  };
  const data = (text: string): void => {
    if (text.trim() === '') return;
    append(text.replace(/'/g, '&apos;').replace(/"/g, '&quot;').replace(/>/g, '&gt;'));
  };
  let i = 0;
  while (i < html.length) {
    const c = html[i]!;
    if (c === '<') {
      const end = html.indexOf('>', i);
      if (end === -1) { data(html.slice(i)); break; }
      const inner = html.slice(i + 1, end);
      if (inner.startsWith('!')) append(`<!${inner.slice(1).toLowerCase()}>`);
      else if (inner.startsWith('/')) {
        const tag = inner.slice(1).trim().toLowerCase();
        append(`</${tag}>`);
        if (tag === 'tr' || tag === 'head') append('\n');
      } else {
        const tag = inner.split(/[\s/]/)[0]!.toLowerCase();
        append(`<${tag}>`);
        if (tag === 'table' || tag === 'html') append('\n');
      }
      i = end + 1;
    } else if (c === '&') {
      const end = html.indexOf(';', i);
      const ref = end === -1 ? '' : html.slice(i + 1, end);
      if (/^#(x[0-9a-f]+|[0-9]+)$/i.test(ref)) {
        const code = ref[1]!.toLowerCase() === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        const mapped = CHARREFS[code];
        // TFB's parser drops other numeric references, so a page escaping letters fails.
        if (mapped !== undefined) append(mapped);
        i = end + 1;
      } else if (/^[a-z]+$/i.test(ref)) {
        append(ref === 'mdash' ? '—' : `&${ref};`);
        i = end + 1;
      } else { data('&'); i++; }
    } else {
      let end = i;
      while (end < html.length && html[end] !== '<' && html[end] !== '&') end++;
      data(html.slice(i, end));
      i = end;
    }
  }
  return out.join('');
}

/** Throws with the first differing line when the page is not TFB's. */
export function checkFortunesPage(html: string): void {
  const got = normalizeFortunes(html).split('\n');
  const want = expectedFortunes().split('\n');
  for (let line = 0; line < Math.max(got.length, want.length); line++) {
    if (got[line] !== want[line]) {
      throw new Error(`fortunes: line ${line + 1} is ${JSON.stringify(got[line] ?? '(missing)')}, expected ${JSON.stringify(want[line] ?? '(nothing)')}`);
    }
  }
}
