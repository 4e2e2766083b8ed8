// Shared measurements for fault tests: open descriptors, live memory after a full GC,
// "the server still answers", and a repetition loop that asserts all three.

import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'vitest';
import { exchangeRaw } from '../helpers/raw-http.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export const openDescriptors = (): number => readdirSync('/proc/self/fd').length;

/** Live JS heap plus buffers (external memory), after two full collections. */
export function liveMemory(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Resolves when `check` holds; polls the event loop every few ms (no fixed sleep). */
export async function eventually(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Wait until the server has released every descriptor above `baseline`. */
export async function descriptorsSettle(baseline: number, ms = 5000): Promise<number> {
  await eventually(() => openDescriptors() <= baseline, `descriptors to return to ${baseline} (now ${openDescriptors()})`, ms).catch(() => undefined);
  return openDescriptors();
}

/** A healthy request on a fresh connection must get 200 with `body`. */
export async function answersNext(port: number, body = 'healthy'): Promise<void> {
  const { responses } = await exchangeRaw(port, 'GET /healthy HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  expect(responses[0]?.status).toBe(200);
  expect(responses[0]?.body.toString()).toBe(body);
}

/** 64 KiB that a leaked request or response would keep alive: leaks show up fast. */
export const PAYLOAD_SIZE = 64 * 1024;

export interface Repetition {
  /** Performs one fault; resolves when the client side is done. */
  fault: () => Promise<void>;
  /** close() calls (or generator finally runs) expected per fault. */
  closesPerFault: 0 | 1;
  closes: () => number;
  port: number;
}

export interface RepetitionFigures { faults: number; descriptorDelta: number; memoryGrowth: number }

const WARM_UP = 8;
const MEASURED = 40;
/** 40 faults each leaking one 64 KiB payload would grow by 2.5 MiB; allow noise only. */
export const MEMORY_BOUND = 1024 * 1024;

/** Warm up, then repeat the fault: every time close() runs exactly `closesPerFault`
 * times and the server answers the next request; at the end no descriptor is left
 * and live memory has not grown by more than noise. */
export async function repeatFault(r: Repetition): Promise<RepetitionFigures> {
  for (let i = 0; i < WARM_UP; i++) await r.fault();
  await eventually(() => r.closes() >= WARM_UP * r.closesPerFault, 'warm-up close() calls');
  await answersNext(r.port);
  const fdBefore = await descriptorsSettle(openDescriptors());
  const memBefore = liveMemory();
  const closesBefore = r.closes();
  for (let i = 0; i < MEASURED; i++) {
    await r.fault();
    await answersNext(r.port);
  }
  const want = closesBefore + MEASURED * r.closesPerFault;
  await eventually(() => r.closes() >= want, `close() to run ${want} times (ran ${r.closes()})`);
  const fdAfter = await descriptorsSettle(fdBefore);
  const memAfter = liveMemory();
  expect(r.closes(), 'close() runs exactly once per response').toBe(want);
  expect(fdAfter, 'no descriptor leaks').toBeLessThanOrEqual(fdBefore);
  expect(memAfter - memBefore, 'memory does not grow across repetitions').toBeLessThan(MEMORY_BOUND);
  return { faults: WARM_UP + MEASURED, descriptorDelta: fdAfter - fdBefore, memoryGrowth: memAfter - memBefore };
}

/** TSGI_FAULTS_JSON=path appends one JSON line of figures per scenario (for reports). */
export async function recordFigures(engine: string, scenario: string, figures: RepetitionFigures): Promise<void> {
  const path = process.env.TSGI_FAULTS_JSON;
  if (!path) return;
  const { appendFileSync } = await import('node:fs');
  appendFileSync(path, JSON.stringify({ engine, scenario, ...figures }) + '\n');
}
