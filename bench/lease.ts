/**
 * Lease engine throughput: lease+release pairs per second and p50/p99 latency per pair, for 10,
 * 1,000 and 10,000 keys with 16 and 64 concurrent callers, each next to a ceiling measured in the
 * same run: the same callers doing pairs of a trivial EVALSHA (`return 1`) on the same connection.
 * ratio = lease pairs/s / ceiling pairs/s. Slices of each key count and of the ceiling alternate
 * (5 x 600 ms each by default), so a change in the machine's load hits all of them alike. After the
 * slices, 5,000 more pairs of each are bracketed by INFO commandstats and INFO cpu to show how many µs
 * Redis spent inside the scripts per pair, and its CPU per lease pair: where the time goes
 * (server-wide counters: run on a quiet Redis).
 * Each slice round also runs `redis-benchmark` (Redis's own load tool) on the same script with
 * as many clients as callers: a second ceiling, see lib/redis-benchmark.ts. Run alone:
 * `npx tsx bench/lease.ts`; all: `npm run bench`.
 */
import { Redis } from 'ioredis';
import { pathToFileURL } from 'node:url';
import { LeaseEngine } from '../src/lease/engine.js';
import type { LeaseSettings } from '../src/lease/types.js';
import { runCount, sampleLoop, summarise, type LoopResult, type LoopSample } from './lib/closed-loop.js';
import { formatSpread } from './lib/spread.js';
import { redisBenchmarkEvalsha, redisBenchmarkTarget } from './lib/redis-benchmark.js';
import { benchPrefix } from './lib/redis-prefix.js';
import { syntheticSnapshot } from './lib/synthetic-keys.js';
import { deleteKeysWithPrefix } from '../src/queues/delete-prefix.js';

export interface LeaseBenchRow {
  readonly keys: number;
  readonly concurrency: number;
  readonly lease: LoopResult;
  /** Lease pairs/s of each slice round, in order: the spread a shared machine gives. */
  readonly leaseRoundRates: readonly number[];
  readonly ceiling: LoopResult;
  /** The ceiling's pairs/s of each slice round (run right before the lease slice of that round). */
  readonly ceilingRoundRates: readonly number[];
  readonly ratio: number;
  /** redis-benchmark's trivial EVALSHA rate / 2 in the same run, same clients; null without the tool. */
  readonly benchmarkCeiling: number | null;
  readonly benchmarkRatio: number | null;
  /** Redis time spent inside EVALSHA per pair (INFO commandstats), lease and ceiling: where the time goes. */
  readonly redisUsPerPair: number;
  readonly ceilingRedisUsPerPair: number;
  /**
   * Redis CPU per lease pair, user + system (INFO cpu): the scripts plus reading requests and writing
   * answers, which the rows are bound by (commandstats leaves the socket work out).
   */
  readonly redisCpuUsPerPair: number;
}

interface RedisCounters {
  /** µs inside scripts: EVALSHA (the ceiling) and FCALL (the lease functions), INFO commandstats. */
  readonly scriptUs: number;
  /** µs of Redis CPU, user + system (INFO cpu). */
  readonly cpuUs: number;
}

/** Server-wide counters, so the figures derived from them are only meaningful on a quiet Redis. */
async function redisCounters(redis: Redis): Promise<RedisCounters> {
  const [stats, cpu] = await Promise.all([redis.info('commandstats'), redis.info('cpu')]);
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(cpu)?.[1] ?? 0);
  return {
    scriptUs:
      Number(/cmdstat_evalsha:calls=\d+,usec=(\d+)/.exec(stats)?.[1] ?? 0) +
      Number(/cmdstat_fcall:calls=\d+,usec=(\d+)/.exec(stats)?.[1] ?? 0),
    cpuUs: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6,
  };
}

/** Redis µs per call of `pair` (inside scripts; CPU), over `pairs` calls by `concurrency` callers. */
async function redisMicrosPerPair(
  redis: Redis,
  pairs: number,
  concurrency: number,
  pair: () => Promise<void>,
): Promise<RedisCounters> {
  const before = await redisCounters(redis);
  await runCount(concurrency, pairs, pair);
  const after = await redisCounters(redis);
  return {
    scriptUs: (after.scriptUs - before.scriptUs) / pairs,
    cpuUs: (after.cpuUs - before.cpuUs) / pairs,
  };
}

export interface LeaseBenchOptions {
  readonly redisUrl?: string;
  readonly keyCounts?: readonly number[];
  readonly concurrencies?: readonly number[];
  /** Length of one measured slice; slices of every key count and the ceiling alternate. */
  readonly sliceMs?: number;
  readonly slices?: number;
}

export const LEASE_BENCH_SETTINGS: LeaseSettings = {
  leaseTtlMs: 120_000,
  circuitBreakerThreshold: 3,
  blockSeconds: 1800,
  maxBlockSeconds: 86_400,
  keyProbeAfterMs: 300_000,
  providerCooldownMs: 30_000,
  fallbackModel: 'gpt-3.5-turbo',
  keyMaxConcurrency: null,
};

const PROFILE_PAIRS = 5000;
/** About one slice's worth of redis-benchmark requests (~0.6 s at 164k/s). */
const BENCHMARK_REQUESTS = 100_000;

const roundRates = (samples: readonly LoopSample[]) => samples.map((x) => x.latenciesMs.length / x.seconds);

/** One lease + release pair, the unit every lease bench counts. */
export async function leasePair(engine: LeaseEngine): Promise<void> {
  const r = await engine.lease({ provider: 'openai', model: 'gpt-4-turbo', estimatedTokens: 100 });
  if (!r.ok) throw new Error(`bench: no key (${r.reason})`);
  await engine.release(r.lease, { kind: 'success', tokens: 80 });
}

export async function benchLease(options: LeaseBenchOptions = {}): Promise<LeaseBenchRow[]> {
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  const sliceMs = options.sliceMs ?? 600;
  const slices = options.slices ?? 5;
  const keyCounts = options.keyCounts ?? [10, 1000, 10_000];
  const redis = new Redis(redisUrl);
  const rows: LeaseBenchRow[] = [];
  const trivialSha = (await redis.script('LOAD', 'return 1')) as string;
  const prefixes: string[] = [];
  const benchmarkTarget = redisBenchmarkTarget(redisUrl);
  try {
    // Every key count is hydrated up front, so the slices below can interleave them.
    const engines = new Map<number, LeaseEngine>();
    for (const keys of keyCounts) {
      const prefix = benchPrefix('lease');
      prefixes.push(prefix);
      const engine = new LeaseEngine({
        redis,
        prefix,
        settings: LEASE_BENCH_SETTINGS,
        loadSnapshot: async () => syntheticSnapshot(keys),
      });
      await engine.hydrate();
      engines.set(keys, engine);
    }
    for (const concurrency of options.concurrencies ?? [16, 64]) {
      const leaseSamples = new Map<number, LoopSample[]>(keyCounts.map((k) => [k, []]));
      const ceilingSamples = new Map<number, LoopSample[]>(keyCounts.map((k) => [k, []]));
      const benchmarkRates: (number | null)[] = [];
      for (let slice = 0; slice < slices; slice++) {
        for (const [keys, engine] of engines) {
          ceilingSamples.get(keys)!.push(
            await sampleLoop(concurrency, sliceMs, async () => {
              await redis.evalsha(trivialSha, 0);
              await redis.evalsha(trivialSha, 0);
            }),
          );
          leaseSamples.get(keys)!.push(
            await sampleLoop(concurrency, sliceMs, async () => {
              await leasePair(engine);
            }),
          );
        }
        benchmarkRates.push(
          benchmarkTarget &&
            (await redisBenchmarkEvalsha(benchmarkTarget, trivialSha, concurrency, BENCHMARK_REQUESTS)),
        );
      }
      const rates = benchmarkRates.filter((r): r is number => r !== null);
      const benchmarkCeiling = rates.length > 0 ? rates.reduce((a, b) => a + b, 0) / rates.length / 2 : null;
      for (const [keys, engine] of engines) {
        const lease = summarise(leaseSamples.get(keys)!);
        const ceiling = summarise(ceilingSamples.get(keys)!);
        const leaseCost = await redisMicrosPerPair(redis, PROFILE_PAIRS, concurrency, () =>
          leasePair(engine),
        );
        const ceilingCost = await redisMicrosPerPair(redis, PROFILE_PAIRS, concurrency, async () => {
          await redis.evalsha(trivialSha, 0);
          await redis.evalsha(trivialSha, 0);
        });
        rows.push({
          keys,
          concurrency,
          lease,
          leaseRoundRates: roundRates(leaseSamples.get(keys)!),
          ceiling,
          ceilingRoundRates: roundRates(ceilingSamples.get(keys)!),
          ratio: lease.perSecond / ceiling.perSecond,
          benchmarkCeiling,
          benchmarkRatio: benchmarkCeiling && lease.perSecond / benchmarkCeiling,
          redisUsPerPair: leaseCost.scriptUs,
          ceilingRedisUsPerPair: ceilingCost.scriptUs,
          redisCpuUsPerPair: leaseCost.cpuUs,
        });
      }
    }
  } finally {
    for (const prefix of prefixes) await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  }
  return rows;
}

export function formatLeaseBench(rows: readonly LeaseBenchRow[]): string {
  const head =
    '| keys | callers | lease+release pairs/s | p50 ms | p99 ms | ceiling pairs/s (2x trivial EVALSHA, this process) | ratio | ceiling pairs/s (redis-benchmark, trivial EVALSHA / 2) | ratio | Redis µs in scripts per pair (lease / ceiling) | Redis CPU µs per lease pair |';
  const line = '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const body = rows.map(
    (r) =>
      `| ${r.keys} | ${r.concurrency} | ${Math.round(r.lease.perSecond)} | ${r.lease.p50Ms.toFixed(2)} | ${r.lease.p99Ms.toFixed(2)} | ${Math.round(r.ceiling.perSecond)} | ${r.ratio.toFixed(2)} | ${r.benchmarkCeiling === null ? 'n/a' : Math.round(r.benchmarkCeiling)} | ${r.benchmarkRatio === null ? 'n/a' : r.benchmarkRatio.toFixed(2)} | ${r.redisUsPerPair.toFixed(1)} / ${r.ceilingRedisUsPerPair.toFixed(1)} | ${r.redisCpuUsPerPair.toFixed(1)} |`,
  );
  // The largest pool against each smaller one; each slice round runs them a few seconds apart, so
  // each round gives a ratio.
  const sizes = [...new Set(rows.map((r) => r.keys))].sort((a, b) => a - b);
  const largest = sizes.at(-1);
  const scaling = [16, 64].flatMap((c) =>
    sizes.slice(0, -1).flatMap((size) => {
      const small = rows.find((r) => r.keys === size && r.concurrency === c);
      const large = rows.find((r) => r.keys === largest && r.concurrency === c);
      if (!small || !large) return [];
      const perRound = large.leaseRoundRates.map((rate, i) => rate / small.leaseRoundRates[i]!);
      return [
        `${large.keys.toLocaleString('en-US')} vs ${size.toLocaleString('en-US')} keys at ${c} callers: ` +
          `${(large.lease.perSecond / small.lease.perSecond).toFixed(2)}x` +
          (perRound.length > 1 ? ` (${formatSpread(perRound)} over ${perRound.length} slice rounds)` : ''),
      ];
    }),
  );
  const ceilingSpread = [16, 64].flatMap((c) => {
    const parts = rows
      .filter((r) => r.concurrency === c && r.leaseRoundRates.length > 1)
      .map((r) => {
        const perRound = r.leaseRoundRates.map((rate, i) => rate / r.ceilingRoundRates[i]!);
        return `${r.keys.toLocaleString('en-US')} keys ${formatSpread(perRound)}`;
      });
    return parts.length > 0
      ? [`ratio to this process's ceiling by slice round at ${c} callers: ${parts.join('; ')}`]
      : [];
  });
  const missing = rows.some((r) => r.benchmarkCeiling === null)
    ? ['redis-benchmark (Redis server tools) was not found or the URL is TLS: its ceiling is n/a.']
    : [];
  return [head, line, ...body, '', ...scaling, ...ceilingSpread, ...missing].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await benchLease({ redisUrl: process.argv[2] });
  console.log(formatLeaseBench(rows));
}
