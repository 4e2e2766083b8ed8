// Connection persistence, shared by the engines that do not parse HTTP themselves.

/** RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive". */
export function wantsKeepAlive(versionMinor: number, connection: string | undefined): boolean {
  if (connection === undefined) return versionMinor >= 1;
  let close = false;
  let keep = false;
  for (const token of connection.split(',')) {
    const t = token.trim().toLowerCase();
    if (t === 'close') close = true;
    else if (t === 'keep-alive') keep = true;
  }
  if (close) return false;
  return versionMinor >= 1 || keep;
}
