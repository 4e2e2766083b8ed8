// A small cookie jar for the test client (RFC 6265): Set-Cookie is stored per name and
// path, Max-Age and Expires end a cookie, and a request gets the cookies whose path
// matches (RFC 6265 §5.1.4). Domains are ignored: every test request goes to one host.

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  /** Milliseconds since the epoch, or Infinity for a session cookie. */
  expires: number;
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** RFC 6265 §5.1.4 default-path: the request path up to its last "/". */
function defaultPath(requestPath: string): string {
  if (!requestPath.startsWith('/')) return '/';
  const last = requestPath.lastIndexOf('/');
  return last <= 0 ? '/' : requestPath.slice(0, last);
}

export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  /** RFC 6265 §5.2: take one Set-Cookie header received for `requestPath`. */
  store(header: string, requestPath: string, now = Date.now()): void {
    const [pair = '', ...attributes] = header.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    let path = defaultPath(requestPath);
    let expires = Infinity;
    let maxAgeSeen = false;
    for (const attribute of attributes) {
      const at = attribute.indexOf('=');
      const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
      const val = at === -1 ? '' : attribute.slice(at + 1).trim();
      if (key === 'path' && val.startsWith('/')) path = val;
      else if (key === 'max-age' && /^-?\d+$/.test(val)) {
        // §5.2.2: Max-Age wins over Expires.
        maxAgeSeen = true;
        expires = Number(val) <= 0 ? 0 : now + Number(val) * 1000;
      } else if (key === 'expires' && !maxAgeSeen) {
        const t = Date.parse(val);
        if (!Number.isNaN(t)) expires = t;
      }
    }
    const key = `${name};${path}`;
    if (expires <= now) this.cookies.delete(key);
    else this.cookies.set(key, { name, value, path, expires });
  }

  /** The Cookie header for a request to `requestPath`, or undefined. Longer paths first (§5.4). */
  header(requestPath: string, now = Date.now()): string | undefined {
    const matching: StoredCookie[] = [];
    for (const [key, cookie] of this.cookies) {
      if (cookie.expires <= now) this.cookies.delete(key);
      else if (pathMatches(requestPath, cookie.path)) matching.push(cookie);
    }
    if (matching.length === 0) return undefined;
    matching.sort((a, b) => b.path.length - a.path.length);
    return matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }

  /** Value of cookie `name` visible at `path` (default "/"). */
  get(name: string, path = '/'): string | undefined {
    for (const cookie of this.cookies.values()) {
      if (cookie.name === name && pathMatches(path, cookie.path) && cookie.expires > Date.now()) return cookie.value;
    }
    return undefined;
  }

  set(name: string, value: string, path = '/'): void {
    this.cookies.set(`${name};${path}`, { name, value, path, expires: Infinity });
  }

  clear(): void {
    this.cookies.clear();
  }
}
