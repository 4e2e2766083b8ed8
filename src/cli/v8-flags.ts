// V8 flags the CLI gives its worker processes.
//
// A request allocates about 1 KB of objects that die with it (exchange, response,
// environ, the app's header and body arrays). V8 starts the young generation at 1 MB
// semi-spaces and grows it only when objects survive, which these do not: at 10^6
// requests/s that is a scavenge every millisecond. Semi-spaces of 16 MB make scavenges
// 16x rarer. Measured with `node bench/native-quick.mjs native-gw,native-gw+semi=16,uws,uws+semi=16 3 16 4`:
// tsgi native pipelined x16 0.97 → 0.94 µs/request (min), 1.02 → 0.95 (median);
// raw uWebSockets.js unchanged (1.30 → 1.30). The cost is RSS: about +32 MB per worker.

/** Default semi-space size of a worker, in MB (`--young-space`). */
export const DEFAULT_YOUNG_SPACE_MB = 16;

/** Node flags for a young generation of `mb` MB semi-spaces; none when `mb` is 0 or the
 * user already chose a semi-space size (NODE_OPTIONS or node's own arguments). */
export function youngSpaceFlags(mb: number, execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  if (mb === 0) return [];
  const chosen = (text: string): boolean => /--(min|max)-semi-space-size/.test(text);
  if (execArgv.some(chosen) || (nodeOptions !== undefined && chosen(nodeOptions))) return [];
  return [`--min-semi-space-size=${mb}`, `--max-semi-space-size=${Math.max(mb, DEFAULT_YOUNG_SPACE_MB)}`];
}
