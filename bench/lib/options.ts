// Command line of `npm run bench`.

import { ALL_SERVERS, SCENARIOS, type ServerName } from '../scenarios.js';
import { isTfbScenario, TFB_GROUP } from '../tfb/scenarios.js';

export interface BenchOptions {
  quick: boolean;
  scenarios: string[];
  servers: ServerName[];
  runs: number;
  warmupSeconds: number;
  seconds: number;
  /** --duration was given: it then applies to every scenario, even those with defaultSeconds. */
  durationGiven: boolean;
  idleConnections: number | undefined;
  cpuProf: boolean;
  outDir: string;
  /** Rewrite the committed results page (bench/RESULTS.md) and chart (bench/chart.svg). */
  publish: boolean;
}

export const USAGE = `usage: npm run bench -- [options]
  --quick              about a minute: 1 run of 1 s per row after a warm-up of 10,000
                       requests (at most 0.5 s)
  --only a,b           scenarios (${SCENARIOS.map((s) => s.name).join(', ')});
                       "${TFB_GROUP}" stands for every tfb-* scenario
  --servers x,y        servers (${ALL_SERVERS.join(', ')})
  --runs N             measured runs per row, median quoted (default 3)
  --duration S         seconds per measured run (default 5; the tfb-* scenarios 2)
  --warmup S           seconds of warm-up before each run (default 1)
  --idle N             idle connections in scenario "idle" (default 10000)
  --cpu-prof           write a V8 CPU profile of each Node server to <out>/profiles
  --out DIR            where results go (default results)
  --publish            also rewrite bench/RESULTS.md and bench/chart.svg (the default
                       for a full run: no --quick, --only or --servers)
  --no-publish         write results/ only`;

function list<T extends string>(value: string | undefined, allowed: readonly T[], what: string): T[] {
  if (value === undefined || value === '') throw new Error(`${what} needs a comma-separated list`);
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new Error(`unknown ${what} ${JSON.stringify(item)}; one of ${allowed.join(', ')}`);
  }
  return items as T[];
}

function positiveInt(value: string | undefined, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} needs a whole number >= 1, got ${JSON.stringify(value)}`);
  return n;
}

/** --only: scenario names, and the group name standing for all of its scenarios. */
function onlyList(value: string | undefined): string[] {
  const names = SCENARIOS.map((s) => s.name);
  const expanded = (value ?? '').split(',').flatMap((item) => (item.trim() === TFB_GROUP ? names.filter(isTfbScenario) : [item]));
  return [...new Set(list(expanded.join(','), names, 'scenario'))];
}

export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const options: BenchOptions = {
    quick: false, scenarios: SCENARIOS.map((s) => s.name), servers: [...ALL_SERVERS],
    runs: 3, warmupSeconds: 1, seconds: 5, durationGiven: false, idleConnections: undefined, cpuProf: false, outDir: 'results', publish: false,
  };
  const explicit = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    explicit.add(flag);
    switch (flag) {
      case '--help': case '-h': return 'help';
      case '--quick': options.quick = true; break;
      case '--only': options.scenarios = onlyList(value()); break;
      case '--servers': options.servers = list(value(), ALL_SERVERS, 'server'); break;
      case '--runs': options.runs = positiveInt(value(), '--runs'); break;
      case '--duration': options.seconds = positiveInt(value(), '--duration'); options.durationGiven = true; break;
      case '--warmup': options.warmupSeconds = positiveInt(value(), '--warmup'); break; // 0 only via --quick
      case '--idle': options.idleConnections = positiveInt(value(), '--idle'); break;
      case '--cpu-prof': options.cpuProf = true; break;
      case '--out': options.outDir = value() ?? 'results'; break;
      case '--publish': case '--no-publish': break; // decided below, once every option is known
      default: throw new Error(`unknown option ${JSON.stringify(arg)}\n${USAGE}`);
    }
  }
  // The committed page shows every scenario on every server at full length; a partial or
  // quick run would replace it with less, so it publishes only when asked.
  const full = !options.quick && !explicit.has('--only') && !explicit.has('--servers');
  options.publish = explicit.has('--publish') || (full && !explicit.has('--no-publish'));
  if (options.quick) {
    if (!explicit.has('--runs')) options.runs = 1;
    if (!explicit.has('--duration')) options.seconds = 1;
    if (!explicit.has('--warmup')) options.warmupSeconds = 0;
  }
  return options;
}
