// The memory the native addon shares with TypeScript is described twice, in C++
// (native/src/SharedLayout.h) and in TypeScript (src/engines/native-protocol.ts). This
// test reads the header and checks that every constant has its twin, with the same value:
// kEvRequest <-> EV_REQUEST (drop the k, UPPER_SNAKE_CASE). A field moved on one side
// only fails here instead of corrupting requests.
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import * as protocol from '../../src/engines/native-protocol.js';

const source = (name: string): string =>
  readFileSync(new URL(`../../native/src/${name}`, import.meta.url), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');

/** kEvRequest -> EV_REQUEST. */
const twinName = (cpp: string): string => cpp.slice(1).replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** Every `kName = expression` (constexpr or enum member) of a C++ source, evaluated in
 * order; an expression may use numbers, earlier constants, + - * << | ( ) and a u suffix. */
function cppConstants(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const m of text.matchAll(/\b(k[A-Z]\w*)\s*=\s*([^,;{}]+?)\s*[,;}]/g)) {
    const expression = m[2]!.replace(/\b(k[A-Z]\w*)\b/g, (name) => {
      const value = values.get(name);
      if (value === undefined) throw new Error(`${m[1]}: ${name} is not defined before it`);
      return String(value);
    }).replace(/\b(0x[0-9a-fA-F]+|\d+)u\b/g, '$1');
    if (!/^[\s\d()+\-*|<>xa-fA-F]+$/.test(expression)) throw new Error(`${m[1]}: cannot evaluate ${m[2]}`);
    values.set(m[1]!, Number(new Function(`return (${expression});`)()));
  }
  return values;
}

const layout = cppConstants(source('SharedLayout.h'));

/** One constant of another source: `kName = 64 * 1024;`. */
function constantIn(file: string, name: string): number {
  const m = new RegExp(`\\b${name}\\s*=\\s*([\\d\\s*]+);`).exec(source(file));
  if (!m) throw new Error(`${name} not found in ${file}`);
  return m[1]!.split('*').reduce((product, factor) => product * Number(factor), 1);
}
const exported = protocol as unknown as Record<string, unknown>;

describe('shared-memory layout: SharedLayout.h and native-protocol.ts agree', () => {
  it('parses the header (the parser is not silently finding nothing)', () => {
    expect(layout.get('kEvRequest')).toBe(1);
    expect(layout.get('kRequestHeaderCount')).toBe(11);
    expect(layout.get('kOpenInts')).toBe(17);
    expect(layout.get('kSlotMask')).toBe(0xfffff);
    expect(layout.size).toBeGreaterThan(50);
  });

  it.each([...layout])('%s has a TypeScript twin with the same value', (name, value) => {
    const twin = twinName(name);
    expect(exported[twin], `native-protocol.ts must export ${twin} = ${value}`).toBe(value);
  });

  it('every numeric constant of native-protocol.ts comes from the C++ side', () => {
    const elsewhere: Record<string, number> = {
      // Not part of SharedLayout.h: checked against their own sources below.
      NATIVE_ABI_VERSION: constantIn('Addon.cc', 'kAbiVersion'),
      READ_SIZE: constantIn('Server.h', 'kReadSize'),
      ERRNO_EPIPE: constants.errno.EPIPE,
      ERRNO_ECONNRESET: constants.errno.ECONNRESET,
    };
    const twins = new Set([...layout.keys()].map(twinName));
    for (const [name, value] of Object.entries(exported)) {
      if (typeof value !== 'number') continue;
      if (name in elsewhere) expect(value, name).toBe(elsewhere[name]);
      else expect(twins.has(name), `${name} is not in SharedLayout.h`).toBe(true);
    }
  });

  it('record fields lie inside their records and do not overlap', () => {
    const groups: [string, string][] = [['Request', 'kRequestFixedInts'], ['Body', 'kBodyInts'], ['FileDone', 'kFileDoneInts'], ['Op', 'kIntsPerOp'], ['Header', 'kIntsPerHeader']];
    for (const [prefix, size] of groups) {
      const fields = [...layout].filter(([n]) => n.startsWith(`k${prefix}`) && n !== size && !/Flag|Ints$/.test(n));
      if (prefix === 'Op') fields.splice(0, fields.length, ...fields.filter(([n]) => ['kOpConn', 'kOpFlags', 'kOpOffset', 'kOpLength'].includes(n)));
      const indexes = fields.map(([, v]) => v);
      expect(new Set(indexes).size, prefix).toBe(indexes.length);
      for (const [n, v] of fields) {
        expect(v, n).toBeGreaterThanOrEqual(prefix === 'Op' || prefix === 'Header' ? 0 : 2);
        expect(v, n).toBeLessThan(layout.get(size)!);
      }
    }
  });
});
