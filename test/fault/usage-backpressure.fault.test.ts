/**
 * A long Postgres outage with a small AI_USAGE_BACKLOG_MAX: usage records pile up in the Redis
 * stream (never trimmed), so the worker stops taking jobs once the backlog passes the mark, says
 * why, and takes them again when Postgres is back and the backlog drained; every record then lands
 * once and the key counters agree with the log.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';
import type { Db } from '../../src/store/database.js';
import { usageStreamKey } from '../../src/usage/usage-stream.js';
import { importTestKeys, writeTestEnvFile, type TestEnvFile } from '../e2e/support/env-file.js';
import {
  jobsFor,
  openTestQueue,
  requestLogs,
  sumUsedToday,
  uniquePrompts,
  waitForCompleted,
  type AiQueue,
} from '../e2e/support/pipeline.js';
import { killAll, spawnWorker, stopWorker, type WorkerProcess } from '../e2e/support/worker-process.js';
import { isolate } from '../setup/isolation.js';
import { startTcpProxy, type TcpProxy } from '../setup/tcp-proxy.js';

const WARM_UP = 5;
const DURING = 80;
const BACKLOG_MAX = 10;

const env = isolate('usage-backpressure');
let simulator: SimulatedProvider;
let envFile: TestEnvFile;
let proxy: TcpProxy;
let db: Db;
let redis: Redis;
let queue: AiQueue;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  // ~10 jobs a second (2 at a time, 200 ms each): the 1-second backlog check pauses the worker
  // long before the outage's jobs are done.
  simulator = await startSimulatedProvider({ port: 0, latencyMs: 200, seed: 3 });
  envFile = await writeTestEnvFile([{ prefix: 'sim-ok-one' }], {
    AI_PROVIDER_OPENAI_BASE_URL: simulator.openaiBaseUrl,
    AI_DAILY_QUOTA_PER_KEY: 10_000_000,
    AI_WORKER_CONCURRENCY: 2,
    AI_USAGE_BACKLOG_MAX: BACKLOG_MAX,
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

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const completed = async () => (await queue.getJobCounts('completed')).completed ?? 0;

describe('usage backlog during a Postgres outage', () => {
  it('pauses the worker above AI_USAGE_BACKLOG_MAX and resumes it once usage drains', async () => {
    const worker = spawnWorker({
      isolated: env,
      envFile: envFile.file,
      env: { DATABASE_URL: proxy.via(env.databaseUrl) },
    });
    workers.push(worker);
    await worker.ready;
    // Warm-up with Postgres up, so the key's envelope is cached in the worker.
    await queue.addBulk(jobsFor(uniquePrompts(WARM_UP)).map((data) => ({ name: 'chat', data })));
    await waitForCompleted(queue, WARM_UP, { timeoutMs: 30_000, workers });

    await proxy.cut();
    await queue.addBulk(jobsFor(uniquePrompts(DURING)).map((data) => ({ name: 'chat', data })));
    await until(
      'the worker to pause',
      async () => worker.stdout().includes('backlog above AI_USAGE_BACKLOG_MAX'),
      60_000,
    );
    // Paused: no new job is taken, though many wait. (Jobs taken before the pause may still finish.)
    await new Promise((r) => setTimeout(r, 1500));
    const whilePaused = await completed();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await completed()).toBe(whilePaused);
    expect(whilePaused).toBeLessThan(WARM_UP + DURING);
    expect((await queue.getJobCounts('waiting')).waiting).toBeGreaterThan(0);
    const backlog = await redis.xlen(usageStreamKey(env.prefix));
    expect(backlog).toBeGreaterThan(BACKLOG_MAX);
    // Bounded: at most the mark plus what was in flight before the once-a-second check saw it.
    expect(backlog).toBeLessThan(BACKLOG_MAX + 20);

    await proxy.restore();
    await waitForCompleted(queue, WARM_UP + DURING, { timeoutMs: 90_000, workers });
    expect(worker.stdout()).toContain('usage backlog drained');
    await until(
      'usage written after the outage',
      async () => (await requestLogs(db)).length >= WARM_UP + DURING,
      60_000,
    );
    expect(await stopWorker(worker)).toEqual({ code: 0, signal: null });

    const rows = await requestLogs(db);
    expect(rows).toHaveLength(WARM_UP + DURING);
    const jobs = await queue.getJobs(['completed'], 0, -1);
    const resultTokens = jobs.reduce((s, j) => s + j.returnvalue.usage.totalTokens, 0);
    expect(rows.reduce((s, r) => s + r.tokens_used, 0)).toBe(resultTokens);
    expect(await sumUsedToday(db)).toBe(resultTokens);
    expect(await redis.xlen(usageStreamKey(env.prefix))).toBe(0);
  }, 180_000);
});
