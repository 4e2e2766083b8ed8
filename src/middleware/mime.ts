// Content-Type by file extension (RFC 9110 §8.3; IANA media types). Text types carry
// charset=utf-8 so browsers do not guess (RFC 9110 §8.3.2).

const TYPES: Record<string, string> = {
  html: 'text/html', htm: 'text/html', css: 'text/css', js: 'text/javascript', mjs: 'text/javascript',
  json: 'application/json', map: 'application/json', webmanifest: 'application/manifest+json',
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', xml: 'application/xml', svg: 'image/svg+xml',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  avif: 'image/avif', ico: 'image/x-icon', woff: 'font/woff', woff2: 'font/woff2', ttf: 'font/ttf',
  otf: 'font/otf', pdf: 'application/pdf', zip: 'application/zip', gz: 'application/gzip',
  wasm: 'application/wasm', mp4: 'video/mp4', webm: 'video/webm', mp3: 'audio/mpeg',
  ogg: 'audio/ogg', wav: 'audio/wav',
};

const TEXTUAL = /^(text\/|application\/(json|javascript|xml|manifest\+json)|image\/svg\+xml)/;

export function contentTypeFor(fileName: string, overrides: Record<string, string> = {}): string {
  const dot = fileName.lastIndexOf('.');
  const ext = dot === -1 ? '' : fileName.slice(dot + 1).toLowerCase();
  const type = overrides[ext] ?? TYPES[ext] ?? 'application/octet-stream';
  return TEXTUAL.test(type) && !type.includes('charset') ? `${type}; charset=utf-8` : type;
}

/** Types worth compressing: text, JSON, JavaScript, XML, SVG, wasm. */
export function isCompressible(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return TEXTUAL.test(type) || /\+(json|xml)$/.test(type) || type === 'application/wasm' || type === 'application/x-ndjson';
}
