/**
 * Lease engine cost in Redis instructions: how many instructions a redis-server executes per lease +
 * release pair, for each pool size and caller count, counted by callgrind (lib/callgrind-redis.ts)
 * over `pairs` pairs after as many warm-up pairs. Unlike pairs/s, the count does not move with the
 * machine's load, so it can tell 0.9x from 1.0x where the wall-clock bench cannot. Each row runs on a
 * fresh redis-server of its own under valgrind (about 50x slower than usual: counts, not rates).
 *
 * `npx tsx bench/lease-instructions.ts [--keys 10,100,10000] [--callers 16,64] [--pairs 2000]
 * [--redis-server path]`. Needs valgrind.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { LeaseEngine } from '../src/lease/engine.js';
import { startCallgrindRedis } from './lib/callgrind-redis.js';
import { runCount } from './lib/closed-loop.js';
import { parseCounts } from './lib/counts-flag.js';
import { syntheticSnapshot } from './lib/synthetic-keys.js';
import { LEASE_BENCH_SETTINGS, leasePair } from './lease.js';

export interface InstructionRow {
  readonly keys: number;
  readonly callers: number;
  readonly pairs: number;
  readonly instructionsPerPair: number;
}

export async function measureLeaseInstructions(options: {
  readonly keyCounts: readonly number[];
  readonly callers: readonly number[];
  readonly pairs: number;
  readonly redisServer?: string;
  readonly log?: (line: string) => void;
}): Promise<InstructionRow[]> {
  const rows: InstructionRow[] = [];
  for (const callers of options.callers) {
    for (const keys of options.keyCounts) {
      options.log?.(`${keys} keys, ${callers} callers: starting redis-server under callgrind`);
      const server = await startCallgrindRedis(options.redisServer);
      try {
        const engine = new LeaseEngine({
          redis: server.redis,
          prefix: '{aikeys-bench-instructions}',
          settings: LEASE_BENCH_SETTINGS,
          loadSnapshot: async () => syntheticSnapshot(keys),
        });
        await engine.hydrate();
        const pairs = () => runCount(callers, options.pairs, () => leasePair(engine));
        await pairs(); // warm-up
        const total = await server.measure(pairs);
        rows.push({ keys, callers, pairs: options.pairs, instructionsPerPair: total / options.pairs });
      } catch (error) {
        await server.abort();
        throw error;
      }
    }
  }
  return rows;
}

export function formatInstructions(rows: readonly InstructionRow[]): string {
  const smallest = (callers: number) =>
    rows.filter((r) => r.callers === callers).reduce((a, b) => (b.keys < a.keys ? b : a));
  const lines = rows.map((r) => {
    const base = smallest(r.callers);
    return `| ${r.keys} | ${r.callers} | ${Math.round(r.instructionsPerPair)} | ${(base.instructionsPerPair / r.instructionsPerPair).toFixed(2)}x |`;
  });
  return [
    '| keys | callers | Redis instructions per lease+release pair | speed vs the smallest pool (its instructions / these) |',
    '|---:|---:|---:|---:|',
    ...lines,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      keys: { type: 'string', default: '10,100,10000' },
      callers: { type: 'string', default: '16,64' },
      pairs: { type: 'string', default: '2000' },
      'redis-server': { type: 'string', default: 'redis-server' },
    },
  });
  const pairs = Number(values.pairs);
  if (!Number.isInteger(pairs) || pairs < 1)
    throw new Error(`--pairs takes a whole number; got "${values.pairs}"`);
  const rows = await measureLeaseInstructions({
    keyCounts: parseCounts(values.keys, '--keys'),
    callers: parseCounts(values.callers, '--callers'),
    pairs,
    redisServer: values['redis-server'],
    log: (line) => console.error(`[instructions] ${line}`),
  });
  console.log(formatInstructions(rows));
}
