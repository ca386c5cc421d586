/**
 * Redis loses all its data (FLUSHALL) while two worker replicas are busy: what a restart without
 * persistence or a failover to an empty replica does. The replicas must heal without a restart:
 * the lease state is rebuilt from Postgres, the usage consumer group is created again, the
 * maintenance schedules come back, and new jobs, whose BullMQ ids start again at 1 and so repeat old
 * ones, are each logged: a repeated job id never swallows a new call's usage.
 *
 * What the flush itself destroyed is measured, not guessed: the usage records still in the stream at
 * that instant are counted in the same MULTI as the FLUSHALL. Every other answer the upstream sent is
 * a row in `ai_request_logs`.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMaintenanceQueue, MAINTENANCE_SCHEDULES } from '../../src/queues/maintenance-schedule.js';
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
import { startPrivateRedis, type PrivateRedis } from '../e2e/support/private-redis.js';
import { killAll, spawnWorker, stopWorker, type WorkerProcess } from '../e2e/support/worker-process.js';
import { isolate, type Isolated } from '../setup/isolation.js';

const BEFORE = 300;
const AFTER = 150;

const shared = isolate('redis-flushall');
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
  env = { ...shared, redisUrl: privateRedis.url, env: { ...shared.env, REDIS_URL: privateRedis.url } };
  simulator = await startSimulatedProvider({ port: 0, latencyMs: 30, jitterMs: 20, seed: 7 });
  envFile = await writeTestEnvFile([{ prefix: 'sim-ok-one' }, { prefix: 'sim-ok-two' }], {
    AI_PROVIDER_OPENAI_BASE_URL: simulator.openaiBaseUrl,
    AI_DAILY_QUOTA_PER_KEY: 10_000_000,
    AI_WORKER_CONCURRENCY: 8,
  });
  ({ db } = await importTestKeys(env, envFile));
  ({ redis, queue } = openTestQueue(privateRedis.url, env.queueName, env.prefix));
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

async function successes(): Promise<number> {
  return simulator.stats.byStatus()[200] ?? 0;
}

describe('Redis losing all its data under load', () => {
  it('heals without a restart and logs every call but the records the flush itself destroyed', async () => {
    for (let i = 0; i < 2; i++) workers.push(spawnWorker({ isolated: env, envFile: envFile.file }));
    await Promise.all(workers.map((w) => w.ready));
    const first = await queue.addBulk(jobsFor(uniquePrompts(BEFORE)).map((data) => ({ name: 'chat', data })));
    await waitForCompleted(queue, BEFORE, { atLeast: 80, timeoutMs: 60_000, workers });

    // The flush, and what it destroyed of the usage stream at that instant.
    const [[, lostRecords]] = (await redis.multi().xlen(usageStreamKey(env.prefix)).flushall().exec()) as [
      [null, number],
      [null, string],
    ];
    const flushedAt = Date.now();
    const answeredBeforeFlush = await successes();

    // New work after the loss: BullMQ numbers these jobs from 1 again, as the first ones were.
    const added = await queue.addBulk(jobsFor(uniquePrompts(AFTER)).map((data) => ({ name: 'chat', data })));
    expect(added.map((j) => j.id)).toEqual(expect.arrayContaining(first.slice(0, AFTER).map((j) => j.id)));
    await waitForCompleted(queue, AFTER, { timeoutMs: 90_000, workers });

    // The maintenance schedules come back within the keepers' check interval.
    const maintenance = createMaintenanceQueue(redis, env.prefix);
    try {
      const deadline = Date.now() + 45_000;
      while (
        (await maintenance.getJobSchedulersCount()) < MAINTENANCE_SCHEDULES.length &&
        Date.now() < deadline
      )
        await new Promise((r) => setTimeout(r, 500));
      expect(await maintenance.getJobSchedulersCount()).toBe(MAINTENANCE_SCHEDULES.length);
    } finally {
      await maintenance.close();
    }

    const exits = await Promise.all(workers.map((w) => stopWorker(w)));
    expect(exits).toEqual(workers.map(() => ({ code: 0, signal: null })));
    expect(await redis.xlen(usageStreamKey(env.prefix))).toBe(0);

    const rows = await requestLogs(db);
    const ok = rows.filter((r) => r.response_status === 200);
    const answered = await successes();
    // Every answer is a row, except the records the flush destroyed (and those may have been written
    // before the flush removed their stream entries, hence a bound, not an equality).
    expect(ok.length).toBeLessThanOrEqual(answered);
    expect(ok.length).toBeGreaterThanOrEqual(answered - lostRecords);
    // Every job added after the flush has its successful call logged, though its id repeats an old one.
    const newIds = new Set(added.map((j) => j.id));
    const newOk = ok.filter((r) => newIds.has(r.job_id) && r.at >= flushedAt);
    expect(new Set(newOk.map((r) => r.job_id)).size).toBe(AFTER);
    expect(answered - answeredBeforeFlush).toBeGreaterThanOrEqual(AFTER);

    // Key counters were rebuilt from Postgres, which takes the usage log's count where it is larger.
    // What can still differ is bounded by the calls the flush caught mid-way: records it destroyed
    // (counted on a key, never logged) and a flusher's batch in flight (logged after the rebuild read).
    const logged = rows.reduce((s, r) => s + r.tokens_used, 0);
    const largestCall = Math.max(...rows.map((r) => r.tokens_used));
    const inFlight = lostRecords + 2 * 8; // two replicas, AI_WORKER_CONCURRENCY 8
    expect(Math.abs((await sumUsedToday(db)) - logged)).toBeLessThanOrEqual(inFlight * largestCall);
  }, 240_000);
});
