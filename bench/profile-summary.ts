// Summarizes V8 CPU profiles written by `npm run bench -- --cpu-prof`:
//   node dist/bench/profile-summary.js results/profiles/<file>.cpuprofile [top]
// Prints self and inclusive time per function as a share of the busy (non-idle)
// samples, with file:line, so the gateway's cost can be read function by function.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; startTime: number; endTime: number }

function label(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const file = frame.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/');
  return `${name} ${file.startsWith('node:') ? file : basename(file)}:${frame.lineNumber + 1}`;
}

export function summarize(path: string, top: number): string {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + 1);
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const idle = profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((s, n) => s + (self.get(n.id) ?? 0), 0);
  const busy = profile.samples.length - idle;
  const selfByLabel = new Map<string, number>();
  const totalByLabel = new Map<string, number>();
  for (const [id, hits] of self) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    const own = label(node.callFrame);
    selfByLabel.set(own, (selfByLabel.get(own) ?? 0) + hits);
    // Inclusive: each label on the stack once per sample (recursion counted once).
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at)!.callFrame);
      if (seen.has(l)) continue;
      seen.add(l);
      totalByLabel.set(l, (totalByLabel.get(l) ?? 0) + hits);
    }
  }
  const pct = (n: number): string => `${((n / Math.max(1, busy)) * 100).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>): string[] =>
    [...m].filter(([l]) => l !== '(root)').sort((a, b) => b[1] - a[1]).slice(0, top).map(([l, n]) => `  ${pct(n)}  ${l}`);
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  return [
    `${basename(path)}: ${seconds.toFixed(1)} s, ${profile.samples.length} samples, busy ${((busy / Math.max(1, profile.samples.length)) * 100).toFixed(0)}%`,
    'self time (share of busy samples):',
    ...list(selfByLabel),
    'inclusive time:',
    ...list(totalByLabel),
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  const [file, topArg] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top=25]\n');
    process.exit(2);
  }
  process.stdout.write(summarize(file, Number(topArg ?? 25)) + '\n');
}
