// multipart/form-data (RFC 7578, framing from RFC 2046 §5.1.1), parsed incrementally
// from wsgi.input with read(size): memory holds one read window plus the field being
// assembled, never the whole body. File parts go to a temporary file (default) or to a
// sink the caller supplies.

import { randomUUID } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormError } from '../errors.js';
import type { InputStream } from '../types.js';
import { Headers } from './headers.js';
import { parseParams } from './query.js';

/** A form that could not be parsed; `status` is what to answer (400 or 413). */
export { FormError };

export interface FilePartInfo {
  /** The form field name. */
  field: string;
  /** The file name the client sent: untrusted, never use it as a path. */
  filename: string;
  contentType: string;
  headers: Headers;
}

/** Where a file part's bytes go when `onFile` takes them. */
export interface FileSink {
  write(chunk: Uint8Array): void;
  end(): void;
}

export interface UploadedFile extends FilePartInfo {
  size: number;
  /** Temporary file holding the content, when no onFile sink took it. Removed by cleanup(). */
  path?: string;
}

export interface FormOptions {
  /** Largest non-file field in bytes (413 beyond). Default 1 MiB. */
  maxFieldSize?: number;
  /** Largest file part in bytes (413 beyond). Default unlimited. */
  maxFileSize?: number;
  /** Most parts (413 beyond). Default 1000. */
  maxParts?: number;
  /** Largest part header block (400 beyond). Default 16 KiB. */
  maxHeaderSize?: number;
  /** Bytes asked of wsgi.input per read(). Default 64 KiB. */
  readSize?: number;
  /** Directory for temporary files. Default os.tmpdir(). */
  tmpDir?: string;
  /** Take a file part's bytes yourself; return undefined to use a temporary file. */
  onFile?: (info: FilePartInfo) => FileSink | undefined;
}

export interface ParsedForm {
  fields: URLSearchParams;
  files: UploadedFile[];
  /** Delete the temporary files. */
  cleanup(): void;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

class TempFileSink implements FileSink {
  readonly path: string;
  private fd: number;
  constructor(dir: string) {
    this.path = join(dir, `tsgi-upload-${randomUUID()}`);
    this.fd = openSync(this.path, 'wx', 0o600);
  }
  write(chunk: Uint8Array): void {
    for (let done = 0; done < chunk.length;) done += writeSync(this.fd, chunk, done);
  }
  end(): void {
    if (this.fd !== -1) closeSync(this.fd);
    this.fd = -1;
  }
}

interface OpenPart {
  info: FilePartInfo;
  sink: FileSink | undefined;
  temp: TempFileSink | undefined;
  chunks: Buffer[];
  size: number;
}

/** Parse a multipart/form-data body with the given boundary (RFC 2046 §5.1.1:
 * 1–70 characters). */
export function parseMultipart(input: InputStream, boundary: string, options: FormOptions = {}): ParsedForm {
  if (!/^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$/.test(boundary) || boundary.endsWith(' ')) {
    throw new FormError(`multipart: invalid boundary ${JSON.stringify(boundary)} (RFC 2046 §5.1.1)`);
  }
  const maxFieldSize = options.maxFieldSize ?? 1024 * 1024;
  const maxFileSize = options.maxFileSize ?? Infinity;
  const maxParts = options.maxParts ?? 1000;
  const maxHeaderSize = options.maxHeaderSize ?? 16 * 1024;
  const readSize = options.readSize ?? 64 * 1024;
  const dir = options.tmpDir ?? tmpdir();
  // The body is read as if it began with CRLF, so the first delimiter matches too.
  const delimiter = Buffer.from('\r\n--' + boundary, 'latin1');
  const fields = new URLSearchParams();
  const files: UploadedFile[] = [];
  const form: ParsedForm = {
    fields,
    files,
    cleanup() { for (const f of files) if (f.path) rmSync(f.path, { force: true }); },
  };

  let buf: Buffer = Buffer.from(CRLF);
  let eof = false;
  const more = (): void => {
    const chunk = input.read(readSize);
    if (chunk.length === 0) eof = true;
    else buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk]);
  };
  let part: OpenPart | undefined;
  let partCount = 0;

  const emit = (bytes: Buffer): void => {
    if (!part || bytes.length === 0) return;
    part.size += bytes.length;
    if (part.temp || part.sink) {
      if (part.size > maxFileSize) throw new FormError(`multipart: file ${JSON.stringify(part.info.filename)} is larger than ${maxFileSize} bytes`, 413);
      (part.sink ?? part.temp)!.write(bytes);
    } else {
      if (part.size > maxFieldSize) throw new FormError(`multipart: field ${JSON.stringify(part.info.field)} is larger than ${maxFieldSize} bytes`, 413);
      part.chunks.push(Buffer.from(bytes));
    }
  };
  const finishPart = (): void => {
    if (!part) return;
    const p = part;
    part = undefined;
    if (p.sink || p.temp) {
      (p.sink ?? p.temp)!.end();
      files.push({ ...p.info, size: p.size, ...(p.temp ? { path: p.temp.path } : {}) });
    } else fields.append(p.info.field, Buffer.concat(p.chunks).toString('utf8'));
  };
  const startPart = (headerBlock: Buffer): void => {
    if (++partCount > maxParts) throw new FormError(`multipart: more than ${maxParts} parts`, 413);
    const headers = new Headers();
    for (const line of headerBlock.toString('utf8').split('\r\n')) {
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new FormError(`multipart: malformed part header ${JSON.stringify(line)}`);
      headers.add(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    // RFC 7578 §4.2: each part has Content-Disposition: form-data; name="…".
    const disposition = headers.get('content-disposition') ?? '';
    const semi = disposition.indexOf(';');
    const params = parseParams(semi === -1 ? '' : disposition.slice(semi + 1));
    if (disposition.slice(0, semi === -1 ? undefined : semi).trim().toLowerCase() !== 'form-data' || params.name === undefined) {
      throw new FormError('multipart: part without Content-Disposition: form-data; name=… (RFC 7578 §4.2)');
    }
    const info: FilePartInfo = { field: params.name, filename: params.filename ?? '', contentType: headers.get('content-type') ?? 'text/plain', headers };
    part = { info, sink: undefined, temp: undefined, chunks: [], size: 0 };
    if (params.filename !== undefined) {
      part.sink = options.onFile?.(info);
      if (!part.sink) part.temp = new TempFileSink(dir);
    }
  };

  try {
    // Preamble: everything before the first delimiter is ignored.
    for (let at = buf.indexOf(delimiter); ; at = buf.indexOf(delimiter)) {
      if (at !== -1) { buf = buf.subarray(at + delimiter.length); break; }
      if (eof) throw new FormError('multipart: no boundary found in the body');
      buf = buf.subarray(Math.max(0, buf.length - delimiter.length + 1));
      more();
    }
    for (;;) {
      // After a delimiter: "--" closes the body, else optional padding and CRLF.
      while (buf.length < 2 && !eof) more();
      if (buf[0] === 0x2d && buf[1] === 0x2d) { finishPart(); return form; }
      finishPart();
      let pad = 0;
      while (buf[pad] === 0x20 || buf[pad] === 0x09) pad++;
      buf = buf.subarray(pad);
      // Header block: from this CRLF to the blank line.
      let end = buf.indexOf(HEADER_END);
      while (end === -1) {
        if (buf.length > maxHeaderSize) throw new FormError(`multipart: part headers larger than ${maxHeaderSize} bytes`);
        if (eof) throw new FormError('multipart: body ended inside part headers');
        more();
        end = buf.indexOf(HEADER_END);
      }
      if (buf.indexOf(CRLF) !== 0) throw new FormError('multipart: delimiter not followed by CRLF');
      startPart(buf.subarray(2, end));
      buf = buf.subarray(end + HEADER_END.length);
      // Content: up to the next delimiter, streamed out in read-sized pieces.
      for (let at = buf.indexOf(delimiter); ; at = buf.indexOf(delimiter)) {
        if (at !== -1) {
          emit(buf.subarray(0, at));
          buf = buf.subarray(at + delimiter.length);
          break;
        }
        if (eof) throw new FormError('multipart: body ended before the closing delimiter');
        const keep = delimiter.length - 1;
        if (buf.length > keep) {
          emit(buf.subarray(0, buf.length - keep));
          buf = buf.subarray(buf.length - keep);
        }
        more();
      }
    }
  } catch (error) {
    if (part?.temp) { part.temp.end(); rmSync(part.temp.path, { force: true }); }
    form.cleanup();
    throw error;
  }
}
