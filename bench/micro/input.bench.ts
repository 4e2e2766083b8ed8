// wsgi.input readline (src/input.ts BodyInput): bodies in memory and spooled to a file.

import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { BodyInput } from '../../src/input.js';

const LINE = Buffer.from('x'.repeat(63) + '\n');
const body = (bytes: number): Buffer => Buffer.concat(Array.from({ length: bytes / LINE.length }, () => LINE));
const SMALL = body(4 * 1024);
const LARGE = body(1024 * 1024);

/** A spooled body as body-receiver.ts leaves it: an unlinked temporary file. */
function spool(data: Buffer): { fd: number; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-micro-'));
  const path = join(dir, 'body');
  const fd = openSync(path, 'w+');
  writeSync(fd, data);
  unlinkSync(path);
  return { fd, dispose: () => { closeSync(fd); rmSync(dir, { recursive: true, force: true }); } };
}

function readAllLines(input: BodyInput): number {
  let n = 0;
  for (let line = input.readline(); line.length > 0; line = input.readline()) n++;
  return n;
}

let lines = 0;
const spooled = spool(LARGE);

export function inputBench(): Bench {
  const bench = new Bench({ name: 'wsgi.input readline (64-byte lines)', time: 500 });
  bench
    .add('memory 4 KiB: readline to EOF (64 lines)', () => { lines = readAllLines(new BodyInput(SMALL)); })
    .add('memory 1 MiB: readline to EOF (16,384 lines)', () => { lines = readAllLines(new BodyInput(LARGE)); })
    .add('spooled 1 MiB: readline to EOF (16,384 lines)', () => {
      // close() would close the shared descriptor: read through a fresh reader each time.
      lines = readAllLines(new BodyInput(new Uint8Array(0), spooled.fd, LARGE.length));
    })
    .add('memory 4 KiB: read() all', () => { lines = new BodyInput(SMALL).read().length; });
  return bench;
}

export function disposeInputBench(): void {
  spooled.dispose();
}
export const lastLineCount = (): number => lines;
