// The fortunes test's page: the rows from the database plus one added at request time,
// sorted by message, in TFB's HTML table, every message escaped (TFB "Fortunes" test
// requirements: the `<script>` fortune must come out as text, the Japanese one as UTF-8).

import type { Fortune } from './world.js';

export const ADDED_FORTUNE = 'Additional fortune added at request time.';
export const FORTUNES_CONTENT_TYPE = 'text/html; charset=utf-8';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const SPECIAL = /[&<>"']/g;
const HAS_SPECIAL = /[&<>"']/; // no g flag: test() must not carry lastIndex over

/** HTML-escape text for element content and quoted attributes (HTML §13.1.2.6). */
export function escapeHtml(text: string): string {
  return HAS_SPECIAL.test(text) ? text.replace(SPECIAL, (c) => ESCAPES[c]!) : text;
}

/** Sorted by message in code-unit order, as TFB's expected page is. */
export function fortunesPage(rows: readonly Fortune[]): string {
  const all = [...rows, { id: 0, message: ADDED_FORTUNE }];
  all.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  let html = '<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>';
  for (const f of all) html += `<tr><td>${f.id}</td><td>${escapeHtml(f.message)}</td></tr>`;
  return html + '</table></body></html>';
}
