/**
 * Redis restarts (SIGTERM, then started again on the same append-only file) while two worker
 * replicas are busy. The workers reconnect; every job completes with its own answer; no usage
 * record is lost: every job has its successful call logged, log rows stay unique, and the key
 * counters equal the logged tokens.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';
import type { Db } from '../../src/store/database.js';
import { usageStreamKey } from '../../src/usage/usage-stream.js';
import { isolate, type Isolated } from '../setup/isolation.js';
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
import { startPrivateRedis, type PrivateRedis } from '../e2e/support/private-redis.js';
import { killAll, spawnWorker, stopWorker, type WorkerProcess } from '../e2e/support/worker-process.js';

const JOBS = 400;

const shared = isolate('pipeline-redis-restart');
let env: Isolated;
let privateRedis: PrivateRedis;
let simulator: SimulatedProvider;
let envFile: TestEnvFile;
let db: Db;
let redis: Redis;
let queue: AiQueue;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  privateRedis = await startPrivateRedis();
  // The shared database, this test's own Redis.
  env = { ...shared, redisUrl: privateRedis.url, env: { ...shared.env, REDIS_URL: privateRedis.url } };
  simulator = await startSimulatedProvider({ port: 0, latencyMs: 50, jitterMs: 20, seed: 21 });
  envFile = await writeTestEnvFile([{ prefix: 'sim-ok-one' }, { prefix: 'sim-ok-two' }], {
    AI_PROVIDER_OPENAI_BASE_URL: simulator.openaiBaseUrl,
    AI_DAILY_QUOTA_PER_KEY: 10_000_000,
    AI_WORKER_CONCURRENCY: 8,
    // A job whose completion could not be written while Redis was down stays active until its lock
    // lapses and the stalled check hands it back: short here, so the test sees that path quickly.
    AI_JOB_LOCK_MS: 5_000,
    AI_STALLED_INTERVAL_MS: 2_000,
  });
  ({ db } = await importTestKeys(env, envFile));
  ({ redis, queue } = openTestQueue(privateRedis.url, env.queueName, env.prefix));
  redis.on('error', () => undefined); // expected while it restarts
  queue.on('error', () => undefined); // the same
});

afterAll(async () => {
  await killAll(workers);
  await queue?.close();
  redis?.disconnect();
  await db?.destroy();
  await simulator?.close();
  await privateRedis?.destroy();
  await shared.cleanup();
});

describe('a Redis restart under load', () => {
  it('completes every job and loses no usage record', async () => {
    for (let i = 0; i < 2; i++) workers.push(spawnWorker({ isolated: env, envFile: envFile.file }));
    await Promise.all(workers.map((w) => w.ready));
    const prompts = uniquePrompts(JOBS);
    const added = await queue.addBulk(jobsFor(prompts).map((data) => ({ name: 'chat', data })));
    const promptOf = new Map(added.map((job, i) => [job.id!, prompts[i]!]));

    await waitForCompleted(queue, JOBS, { atLeast: 60, timeoutMs: 60_000, workers });
    await privateRedis.stop();
    await privateRedis.start();
    const completedAfterRestart = (await queue.getJobCounts('completed')).completed ?? 0;
    expect(completedAfterRestart).toBeLessThan(JOBS); // the restart happened mid-run

    await waitForCompleted(queue, JOBS, { timeoutMs: 75_000, workers });
    const exits = await Promise.all(workers.map((w) => stopWorker(w)));
    expect(exits).toEqual(workers.map(() => ({ code: 0, signal: null })));
    expect(await redis.xlen(usageStreamKey(env.prefix))).toBe(0);

    const jobs = await queue.getJobs(['completed'], 0, -1);
    expect(jobs).toHaveLength(JOBS);
    for (const job of jobs) expect(job.returnvalue.content).toBe(`echo: ${promptOf.get(job.id!)}`);
    const rows = await requestLogs(db);
    expect(new Set(rows.map((r) => `${r.job_id}/${r.job_run}/${r.attempt}`)).size).toBe(rows.length);
    const okJobs = new Set(rows.filter((r) => r.response_status === 200).map((r) => r.job_id));
    expect(okJobs.size).toBe(JOBS);
    expect(await sumUsedToday(db)).toBe(rows.reduce((s, r) => s + r.tokens_used, 0));
  }, 150_000);
});
