// A RequestHead over plain arrays, shaped like the browser request of scenario
// "headers" (15 fields), so micro benchmarks measure the gateway and not an engine.

import type { RequestHead } from '../../src/contract.js';
import { BROWSER_HEADERS, HEADERS_PATH } from '../scenario-data.js';

export class FakeHead implements RequestHead {
  readonly method = 'GET';
  readonly isHead = false;
  readonly target = HEADERS_PATH;
  readonly versionMinor = 1;
  readonly keepAlive = true;
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 51234;
  readonly localPort = 8000;
  readonly tls = undefined;
  private readonly names: string[];
  private readonly lowerNames: string[];
  private readonly values: string[];

  constructor(fields: ReadonlyArray<readonly [string, string]> = [['Host', 'localhost:8000'], ...BROWSER_HEADERS]) {
    this.names = fields.map(([k]) => k);
    this.lowerNames = this.names.map((k) => k.toLowerCase());
    this.values = fields.map(([, v]) => v);
  }
  headerCount(): number { return this.names.length; }
  headerName(i: number): string { return this.names[i]!; }
  headerValue(i: number): string { return this.values[i]!; }
  header(lowerName: string): string | undefined {
    let out: string | undefined;
    for (let i = 0; i < this.lowerNames.length; i++) {
      if (this.lowerNames[i] === lowerName) out = out === undefined ? this.values[i]! : `${out}, ${this.values[i]!}`;
    }
    return out;
  }
  detach(): void { /* nothing engine-backed */ }
}
