/**
 * Postgres becomes unreachable for the workers (their DATABASE_URL goes through a TCP proxy the
 * test cuts: refused connects, dropped connections) while jobs keep coming. Leases live in Redis,
 * so jobs keep completing; usage records wait in the Redis stream; once Postgres is back every
 * record lands exactly once and the key counters catch up with them.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';
import type { Db } from '../../src/store/database.js';
import { usageStreamKey } from '../../src/usage/usage-stream.js';
import { isolate } from '../setup/isolation.js';
import { importTestKeys, writeTestEnvFile, type TestEnvFile } from '../e2e/support/env-file.js';
import {
  jobsFor,
  requestLogs,
  sumUsedToday,
  uniquePrompts,
  waitForCompleted,
  type AiQueue,
  openTestQueue,
} from '../e2e/support/pipeline.js';
import { startTcpProxy, type TcpProxy } from '../setup/tcp-proxy.js';
import { killAll, spawnWorker, stopWorker, type WorkerProcess } from '../e2e/support/worker-process.js';

const WARM_UP = 20;
const DURING = 200;

const env = isolate('pipeline-pg-outage');
let simulator: SimulatedProvider;
let envFile: TestEnvFile;
let proxy: TcpProxy;
let db: Db;
let redis: Redis;
let queue: AiQueue;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  simulator = await startSimulatedProvider({ port: 0, latencyMs: 20, seed: 9 });
  // One key (one account): the warm-up surely uses it, so its envelope is cached in the worker.
  envFile = await writeTestEnvFile([{ prefix: 'sim-ok-one' }], {
    AI_PROVIDER_OPENAI_BASE_URL: simulator.openaiBaseUrl,
    AI_DAILY_QUOTA_PER_KEY: 10_000_000,
    AI_WORKER_CONCURRENCY: 16,
  });
  ({ db } = await importTestKeys(env, envFile));
  const pgUrl = new URL(env.databaseUrl);
  proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  ({ redis, queue } = openTestQueue(env.redisUrl, env.queueName, env.prefix));
});

afterAll(async () => {
  await killAll(workers);
  await proxy?.close();
  await queue?.close();
  redis?.disconnect();
  await db?.destroy();
  await simulator?.close();
  await env.cleanup();
});

async function logCount(): Promise<number> {
  const [row] = (await db('ai_request_logs').count({ n: '*' })) as { n: number | string }[];
  return Number(row?.n ?? 0);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a Postgres outage seen by the workers', () => {
  it('rides out a Postgres outage: jobs keep running and every usage record lands exactly once after it', async () => {
    const worker = spawnWorker({
      isolated: env,
      envFile: envFile.file,
      env: { DATABASE_URL: proxy.via(env.databaseUrl) },
    });
    workers.push(worker);
    await worker.ready;

    // Warm-up with Postgres up: the key is used, so its envelope is in the worker's cache
    // (decrypting a key the worker never saw needs Postgres).
    await queue.addBulk(jobsFor(uniquePrompts(WARM_UP)).map((data) => ({ name: 'chat', data })));
    await waitForCompleted(queue, WARM_UP, { timeoutMs: 30_000, workers });
    await until('warm-up usage in Postgres', async () => (await logCount()) === WARM_UP, 30_000);
    expect(new Set((await requestLogs(db)).map((r) => r.key_name))).toEqual(new Set(['key_1']));

    await proxy.cut();
    const prompts = uniquePrompts(DURING);
    const added = await queue.addBulk(jobsFor(prompts).map((data) => ({ name: 'chat', data })));
    await waitForCompleted(queue, WARM_UP + DURING, { timeoutMs: 60_000, workers });
    // All of them completed while no usage could be written: the flusher tried and failed, and
    // the records wait in Redis.
    await until('a failed usage write', async () => worker.stdout().includes('usage write failed'), 90_000);
    expect(await logCount()).toBe(WARM_UP);
    expect(await redis.xlen(usageStreamKey(env.prefix))).toBeGreaterThan(0);
    const promptOf = new Map(added.map((job, i) => [job.id!, prompts[i]!]));
    for (const job of await queue.getJobs(['completed'], 0, -1)) {
      if (promptOf.has(job.id!)) expect(job.returnvalue.content).toBe(`echo: ${promptOf.get(job.id!)}`);
    }

    await proxy.restore();
    await until('usage written after the outage', async () => (await logCount()) >= WARM_UP + DURING, 60_000);
    expect(await stopWorker(worker)).toEqual({ code: 0, signal: null });

    const rows = await requestLogs(db);
    expect(rows).toHaveLength(WARM_UP + DURING);
    expect(rows.every((r) => r.response_status === 200)).toBe(true);
    expect(new Set(rows.map((r) => r.job_id)).size).toBe(WARM_UP + DURING);
    const jobs = await queue.getJobs(['completed'], 0, -1);
    const resultTokens = jobs.reduce((s, j) => s + j.returnvalue.usage.totalTokens, 0);
    expect(rows.reduce((s, r) => s + r.tokens_used, 0)).toBe(resultTokens);
    expect(await sumUsedToday(db)).toBe(resultTokens);
    expect(await redis.xlen(usageStreamKey(env.prefix))).toBe(0);
  }, 150_000);
});
