// Pieces of the request-target and Host that environ needs (RFC 9112 §3.2, RFC 3986).

/** PEP 3333 "Unicode Issues": PATH_INFO is a native string holding the bytes of the
 * percent-decoded path, one latin-1 code unit per byte (as gunicorn and wsgiref do).
 * An invalid escape ("%zz", a lone "%") is kept literally, as urllib.unquote does. */
export function decodePathInfo(path: string): string {
  if (path.indexOf('%') === -1) return path;
  let out = '';
  let from = 0;
  for (let i = path.indexOf('%'); i !== -1; i = path.indexOf('%', i)) {
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) { i += 1; continue; }
    out += path.slice(from, i) + String.fromCharCode((hi << 4) | lo);
    i += 3;
    from = i;
  }
  return out + path.slice(from);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Split "host:port", "[v6]:port" or "host" (RFC 9110 §7.2). */
export function splitAuthority(authority: string): { name: string; port: string } {
  if (authority.charCodeAt(0) === 91 /* [ */) {
    const close = authority.indexOf(']');
    if (close !== -1) {
      const rest = authority.slice(close + 1);
      return { name: authority.slice(0, close + 1), port: rest.startsWith(':') ? rest.slice(1) : '' };
    }
  }
  const colon = authority.lastIndexOf(':');
  if (colon === -1) return { name: authority, port: '' };
  return { name: authority.slice(0, colon), port: authority.slice(colon + 1) };
}
