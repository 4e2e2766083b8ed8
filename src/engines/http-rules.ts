// HTTP rules shared by the engines that do not parse HTTP themselves (node, uws).

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

/** RFC 9110 §7.2: Host = uri-host [ ":" port ] (RFC 3986 §3.2.2); it may be empty. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::\d*)?$/;

/** RFC 9112 §3.2: a server MUST answer 400 to a request with more than one Host field
 * line or a Host with an invalid value, and to an HTTP/1.1 request without Host. */
export function hostIsValid(versionMinor: number, hosts: string[]): boolean {
  if (hosts.length > 1) return false;
  if (hosts.length === 0) return versionMinor === 0;
  return HOST.test(hosts[0]!);
}

/** RFC 9112 §2.3, §3.2 and §6.1 on a request the parser let through: returns the
 * status to refuse it with, or 0. */
export function requestProblem(method: string, target: string, versionMajor: number, transferEncoding: string | undefined): number {
  // HTTP/0.9 has no headers to frame anything with; other majors are not HTTP/1.
  if (versionMajor !== 1) return versionMajor === 0 ? 400 : 505;
  // RFC 9112 §3.2.4: asterisk-form only for OPTIONS; §3.2: no fragment in a target.
  if (target === '*' ? method !== 'OPTIONS' : target.indexOf('#') !== -1) return 400;
  if (transferEncoding !== undefined) {
    const codings = transferEncoding.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
    // §6.3: chunked must be final, else the length is unknowable: 400.
    if (codings[codings.length - 1] !== 'chunked') return 400;
    // §6.1: a coding we do not implement before chunked: 501.
    if (codings.length > 1) return codings.slice(0, -1).every((c) => c === 'chunked') ? 400 : 501;
  }
  return 0;
}
