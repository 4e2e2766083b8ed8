// Conditional requests (RFC 9110 §13) and byte ranges (RFC 9110 §14) for staticFiles.

/** The validators of one file. */
export interface Validators {
  etag: string;
  /** Modification time, whole seconds (HTTP dates have one-second resolution). */
  mtimeSeconds: number;
  lastModified: string;
}

/** RFC 9110 §8.8.3.2 weak comparison: equal opaque-tags, W/ ignored. */
function weakMatch(a: string, b: string): boolean {
  return a.replace(/^W\//, '') === b.replace(/^W\//, '');
}

function listMatches(header: string, etag: string, compare: (a: string, b: string) => boolean): boolean {
  if (header.trim() === '*') return true;
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((tag) => compare(tag, etag));
}

/** RFC 9110 §13.2.2: If-None-Match, else If-Modified-Since (GET/HEAD) → 304. */
export function notModified(env: Record<string, unknown>, v: Validators): boolean {
  const inm = env.HTTP_IF_NONE_MATCH;
  if (typeof inm === 'string') return listMatches(inm, v.etag, weakMatch);
  const ims = env.HTTP_IF_MODIFIED_SINCE;
  if (typeof ims === 'string') {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && v.mtimeSeconds * 1000 <= since;
  }
  return false;
}

/** RFC 9110 §13.1.1, §13.1.4: a failed If-Match or If-Unmodified-Since → 412. */
export function preconditionFailed(env: Record<string, unknown>, v: Validators): boolean {
  const im = env.HTTP_IF_MATCH;
  if (typeof im === 'string') return !listMatches(im, v.etag, (a, b) => !a.startsWith('W/') && !b.startsWith('W/') && a === b);
  const ius = env.HTTP_IF_UNMODIFIED_SINCE;
  if (typeof ius === 'string') {
    const since = Date.parse(ius);
    return !Number.isNaN(since) && v.mtimeSeconds * 1000 > since;
  }
  return false;
}

export type RangeResult =
  | { kind: 'full' }
  | { kind: 'partial'; offset: number; length: number; contentRange: string }
  | { kind: 'unsatisfiable'; contentRange: string };

/** RFC 9110 §14.2 and §13.1.5 (If-Range). One range is served as 206; several ranges, a
 * malformed header or a failed If-Range give the whole file (a server MAY ignore Range);
 * a range entirely past the end gives 416. */
export function chooseRange(env: Record<string, unknown>, size: number, v: Validators): RangeResult {
  const header = env.HTTP_RANGE;
  if (typeof header !== 'string') return { kind: 'full' };
  const ifRange = env.HTTP_IF_RANGE;
  if (typeof ifRange === 'string') {
    // §13.1.5: an entity-tag must match strongly; a date must equal Last-Modified exactly.
    const ok = ifRange.trim().startsWith('"') || ifRange.trim().startsWith('W/')
      ? ifRange.trim() === v.etag && !v.etag.startsWith('W/')
      : ifRange.trim() === v.lastModified;
    if (!ok) return { kind: 'full' };
  }
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  let first: number;
  let last: number;
  if (m[1] === '') {
    // suffix-range: the last N bytes (§14.1.1); N = 0 cannot be satisfied.
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable', contentRange: `bytes */${size}` };
    first = Math.max(0, size - suffix);
    last = size - 1;
  } else {
    first = Number(m[1]);
    last = m[2] === '' ? size - 1 : Number(m[2]);
    if (m[2] !== '' && last < first) return { kind: 'full' }; // invalid range-spec: ignore
    if (first >= size) return { kind: 'unsatisfiable', contentRange: `bytes */${size}` };
    last = Math.min(last, size - 1);
  }
  return { kind: 'partial', offset: first, length: last - first + 1, contentRange: `bytes ${first}-${last}/${size}` };
}
