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
