// Build a multipart/form-data request body for the test client (RFC 7578), the way a
// browser sends a form with file inputs.

import { randomUUID } from 'node:crypto';

/** A file field: content plus the name and type a browser would send. */
export interface MultipartFile {
  filename: string;
  content: string | Uint8Array;
  /** Default application/octet-stream. */
  type?: string;
}

export type MultipartFields = Record<string, string | MultipartFile | Array<string | MultipartFile>>;

/** RFC 7578 §4.2: names in quoted-strings; ", CR and LF percent-encoded as the HTML
 * standard's form submission does. */
const quote = (text: string): string => `"${text.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}"`;

export function multipartBody(fields: MultipartFields): { body: Uint8Array; contentType: string } {
  const boundary = `tsgi-${randomUUID()}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name=${quote(name)}`;
      let content: string | Uint8Array;
      if (typeof item === 'string') {
        content = item;
        head += '\r\n\r\n';
      } else {
        content = item.content;
        head += `; filename=${quote(item.filename)}\r\nContent-Type: ${item.type ?? 'application/octet-stream'}\r\n\r\n`;
      }
      parts.push(Buffer.from(head, 'utf8'), typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content), Buffer.from('\r\n'));
    }
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
