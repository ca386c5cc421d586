/**
 * The cost of `syncCounters()` (src/lease/key-writes.ts), which the unblock-expired maintenance task
 * runs every 15 s and each replica runs at a graceful stop: for a pool of 10,000 keys in Postgres
 * (test/integration/lease/fixtures.ts seedKeys) hydrated into a redis-server of the bench's own (so
 * INFO commandstats and SLOWLOG hold its commands alone), wall time and this process's CPU
 * (process.cpuUsage) per run, medians over several runs, when no key trails and when some do (their
 * Postgres used_today is set off before each run). Alongside: Redis µs per run (commandstats) and
 * its slowest single command (SLOWLOG, threshold 0): how long one command holds Redis. On a busy
 * machine a descheduled redis-server inflates SLOWLOG times, hence medians.
 *
 * `npm run bench -- --only sync-counters`, or `npx tsx bench/sync-counters.ts [--keys 10000]
 * [--trailing 1000] [--runs 9]`. Uses the database `aikeys_bench_sync_<pid>`, dropped afterwards.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/core/logger.js';
import { createKeyWrites } from '../src/lease/key-writes.js';
import { dropDatabase, openDatabase } from '../src/store/database.js';
import { createEngine, seedKeys } from '../test/integration/lease/fixtures.js';
import { startNativeRedis, type NativeRedis } from './lib/native-redis.js';
import { benchDatabaseUrl } from './lib/pipeline-aikeys.js';
import { median } from './lib/spread.js';

export interface SyncCountersRow {
  readonly trailing: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  /** µs Redis spent in commands per run, and in the longest single command of a run (medians). */
  readonly redisUs: number;
  readonly slowestCommandUs: number;
  /** That command's name in the run whose slowest command was longest. */
  readonly slowestCommand: string;
}

async function commandUsec(server: NativeRedis): Promise<number> {
  const stats = await server.redis.info('commandstats');
  return [...stats.matchAll(/cmdstat_(\w+):calls=\d+,usec=(\d+)/g)]
    .filter(([, name]) => name !== 'info' && name !== 'slowlog' && name !== 'config')
    .reduce((sum, [, , usec]) => sum + Number(usec), 0);
}

async function slowest(server: NativeRedis): Promise<{ us: number; command: string }> {
  const log = (await server.redis.slowlog('GET', 1000)) as [number, number, number, string[]][];
  const entries = log.filter(([, , , args]) => !['slowlog', 'info'].includes(args[0]!.toLowerCase()));
  const top = entries.reduce((a, b) => (b[2] > a[2] ? b : a), [0, 0, 0, ['-']]);
  return { us: top[2], command: top[3][0]! };
}

export async function benchSyncCounters(options: {
  keys?: number;
  trailing?: number;
  runs?: number;
  databaseUrl?: string;
}): Promise<{ keys: number; rows: SyncCountersRow[] }> {
  const keys = options.keys ?? 10_000;
  const runs = options.runs ?? 9;
  const databaseUrl = benchDatabaseUrl(
    options.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    `aikeys_bench_sync_${process.pid}`,
  );
  await dropDatabase(databaseUrl);
  const server = await startNativeRedis();
  const db = await openDatabase(databaseUrl);
  try {
    const seeded = await seedKeys(
      db,
      Array.from({ length: keys }, () => ({ dailyLimit: 1_000_000_000 })),
    );
    const engine = createEngine(server.redis, db, '{aikeys-bench-sync}');
    await engine.hydrate();
    const writes = createKeyWrites({ db, engine, logger: silentLogger });
    await server.redis.config('SET', 'slowlog-log-slower-than', '0');
    await server.redis.config('SET', 'slowlog-max-len', '1000');
    const rows: SyncCountersRow[] = [];
    for (const trailing of [0, options.trailing ?? 1000]) {
      // Spread over the pool, as keys used by a replica that died would be.
      const step = Math.max(1, Math.floor(keys / Math.max(trailing, 1)));
      const trailIds = seeded.keyIds.filter((_, i) => i % step === 0).slice(0, trailing);
      const samples = {
        wall: [] as number[],
        cpu: [] as number[],
        redis: [] as number[],
        slowest: [] as number[],
      };
      let top = { us: 0, command: '-' };
      for (let run = -1; run < runs; run++) {
        if (trailIds.length > 0)
          await db('ai_api_keys').whereIn('key_id', trailIds).increment('used_today', 1);
        await server.redis.slowlog('RESET');
        const usecBefore = await commandUsec(server);
        const cpu = process.cpuUsage();
        const began = performance.now();
        const written = await writes.syncCounters();
        const wall = performance.now() - began;
        const { user, system } = process.cpuUsage(cpu);
        if (written !== trailIds.length) throw new Error(`wrote ${written}, expected ${trailIds.length}`);
        const redisUs = (await commandUsec(server)) - usecBefore;
        const s = await slowest(server);
        if (run < 0) continue; // the first run warms the JIT and Postgres's cache
        if (s.us > top.us) top = s;
        samples.wall.push(wall);
        samples.cpu.push((user + system) / 1000);
        samples.redis.push(redisUs);
        samples.slowest.push(s.us);
      }
      rows.push({
        trailing: trailIds.length,
        wallMs: median(samples.wall),
        cpuMs: median(samples.cpu),
        redisUs: median(samples.redis),
        slowestCommandUs: median(samples.slowest),
        slowestCommand: top.command,
      });
    }
    return { keys, rows };
  } finally {
    await db.destroy();
    await server.close();
    await dropDatabase(databaseUrl);
  }
}

export function formatSyncCounters(result: { keys: number; rows: readonly SyncCountersRow[] }): string {
  const lines = [
    '| keys | trailing | wall ms | CPU ms | Redis µs | slowest command µs |',
    '|---:|---:|---:|---:|---:|---|',
    ...result.rows.map(
      (r) =>
        `| ${result.keys} | ${r.trailing} | ${r.wallMs.toFixed(1)} | ${r.cpuMs.toFixed(1)} | ${r.redisUs} | ${r.slowestCommandUs} (${r.slowestCommand}) |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { keys: { type: 'string' }, trailing: { type: 'string' }, runs: { type: 'string' } },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const result = await benchSyncCounters({
    keys: num(values.keys),
    trailing: num(values.trailing),
    runs: num(values.runs),
  });
  console.log(formatSyncCounters(result));
}
