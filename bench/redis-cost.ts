/**
 * Redis cost per completed job, in instructions counted by callgrind (lib/callgrind-redis.ts): the
 * aikeys pipeline (buildContainer + startWorkerReplica, lease, provider call, release with its usage
 * record, the flusher writing it to Postgres) next to a raw BullMQ worker making the same HTTP call
 * to the same simulated provider with one fixed key, on one redis-server, at one concurrency. Each
 * variant's stretch covers enqueueing its jobs, running them, and (aikeys) the flusher writing every
 * usage record: a job's whole life in Redis. Alongside: instructions by Redis command handler
 * (callgrind_annotate), commands per job by name from INFO commandstats (server side: the server is
 * this bench's own) and script calls per job by name (client side).
 *
 * `npm run bench -- --only redis-cost`, or `npx tsx bench/redis-cost.ts [--jobs 1000]
 * [--concurrency 32] [--redis-server path]`. Needs valgrind.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import type { AiJobData } from '../src/jobs/job-schema.js';
import { startCallgrindRedis } from './lib/callgrind-redis.js';
import { inclusiveByFunction } from './lib/callgrind-functions.js';
import { startAikeysBench } from './lib/pipeline-aikeys.js';
import { runBatch } from './lib/pipeline-batch.js';
import { ceilingProcessor, startRawWorker } from './lib/pipeline-raw.js';
import { primaryCapacity, type PrimaryCapacity } from './lib/primary-capacity.js';
import { installCommandCounter } from './lib/pipeline-redis-count.js';
import { startSimulatorChild } from './lib/pipeline-simulator.js';
import { formatRedisCost, parseCommandCalls, type VariantCost } from './lib/redis-cost-format.js';
import { scriptNamesBySha } from './lib/script-names.js';

export interface RedisCostResult {
  readonly jobs: number;
  readonly concurrency: number;
  readonly aikeys: VariantCost;
  readonly raw: VariantCost;
  readonly primary: PrimaryCapacity | null;
}

const JOB: AiJobData = {
  messages: [{ role: 'user', content: 'Explain rate limits in one sentence.' }],
  maxTokens: 16,
};

async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  return parseCommandCalls(await redis.info('commandstats'));
}

function delta(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, n] of after)
    if (n - (before.get(name) ?? 0) > 0) out.set(name, n - (before.get(name) ?? 0));
  return out;
}

/** Resolves once `expected` usage rows are in Postgres (polled there, so the wait adds no Redis work). */
async function usageWritten(count: () => Promise<number>, expected: number): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if ((await count()) >= expected) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`bench: ${expected} usage rows not written within 120 s`);
}

export async function benchRedisCost(options: {
  readonly jobs?: number;
  readonly concurrency?: number;
  readonly warmupJobs?: number;
  readonly databaseUrl?: string;
  readonly redisServer?: string;
  readonly log?: (line: string) => void;
}): Promise<RedisCostResult> {
  const jobs = options.jobs ?? 1000;
  const concurrency = options.concurrency ?? 32;
  const warmupJobs = options.warmupJobs ?? 300;
  const log = options.log ?? (() => {});
  const simulator = await startSimulatorChild(0);
  const closers: (() => Promise<void>)[] = [() => simulator.close()];
  const counter = installCommandCounter(scriptNamesBySha());
  try {
    log('starting redis-server under callgrind');
    const server = await startCallgrindRedis(options.redisServer);
    closers.unshift(() => server.abort());
    log('instructions per second of a saturated primary (redis-benchmark, native and under callgrind)');
    const primary = await primaryCapacity(server, new URL(server.url));
    const system = await startAikeysBench({
      redisUrl: server.url,
      databaseUrl: options.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      databaseName: `aikeys_bench_redis_cost_${process.pid}`,
      openaiBaseUrl: simulator.openaiBaseUrl,
      concurrency,
      job: JOB,
    });
    closers.unshift(() => system.close());
    const raw = await startRawWorker({
      redisUrl: server.url,
      name: 'raw',
      concurrency,
      processor: ceilingProcessor(simulator.openaiBaseUrl),
      job: JOB,
    });
    closers.unshift(() => raw.close());
    const usageRows = async () => {
      const [row] = await system.container.db('ai_request_logs').count({ n: '*' });
      return Number(row?.n ?? 0);
    };
    let aikeysJobs = 0;
    const runAikeys = async (count: number) => {
      await runBatch(system.target, count);
      aikeysJobs += count;
      await usageWritten(usageRows, aikeysJobs);
    };
    const runRaw = async (count: number) => void (await runBatch(raw.target, count));
    log(`warming up both variants (${warmupJobs} jobs each)`);
    await runRaw(warmupJobs);
    await runAikeys(warmupJobs);
    const measure = async (name: string, go: (count: number) => Promise<void>) => {
      log(`${name}: ${jobs} jobs under callgrind`);
      counter.reset();
      const before = await commandCalls(server.redis);
      const stretch = await server.stretch(() => go(jobs));
      const after = await commandCalls(server.redis);
      const cost: VariantCost = {
        instructions: stretch.instructions,
        byFunction: await inclusiveByFunction(stretch.dump),
        commandCalls: delta(after, before),
        clientCommands: counter.snapshot().byName,
      };
      return cost;
    };
    const rawCost = await measure('raw', runRaw);
    const aikeysCost = await measure('aikeys', runAikeys);
    return { jobs, concurrency, aikeys: aikeysCost, raw: rawCost, primary };
  } finally {
    counter.uninstall();
    for (const close of closers)
      await close().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
  }
}

export { formatRedisCost };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '32' },
      'redis-server': { type: 'string', default: 'redis-server' },
    },
  });
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1)
    throw new Error(`--jobs takes a whole number; got "${values.jobs}"`);
  const result = await benchRedisCost({
    jobs,
    concurrency: Number(values.concurrency),
    redisServer: values['redis-server'],
    log: (line) => console.error(`[redis-cost] ${line}`),
  });
  console.log(formatRedisCost(result));
}
