/**
 * A worker replica is SIGKILLed while it has provider calls in flight. BullMQ's stalled-job check
 * (in the surviving replica) hands its jobs back, so every job still completes, with its own answer;
 * a killed call may have been made twice (the new run is a new job_run, so its log rows stay unique);
 * the killed replica's unacknowledged usage records are claimed by another flusher; and the key
 * counters equal the logged tokens exactly.
 *
 * The workers are the production entry point (workers/worker.ts) with a 4 s job lock, a 2 s stalled
 * check and a 1 s usage claim delay (defaults: 60 s, 30 s, 30 s), so recovery fits in a test.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';
import type { Db } from '../../src/store/database.js';
import { decodePackedKey } from '../../src/lease/packed-state.js';
import { leaseKeys } from '../../src/lease/redis-keys.js';
import { usageStreamKey } from '../../src/usage/usage-stream.js';
import { isolate } from '../setup/isolation.js';
import { importTestKeys, writeTestEnvFile, type TestEnvFile } from '../e2e/support/env-file.js';
import {
  jobsFor,
  keyRows,
  requestLogs,
  sumUsedToday,
  uniquePrompts,
  waitForCompleted,
  type AiQueue,
  openTestQueue,
} from '../e2e/support/pipeline.js';
import { killAll, spawnWorker, stopWorker, type WorkerProcess } from '../e2e/support/worker-process.js';

const JOBS = 300;

const env = isolate('pipeline-kill');
let simulator: SimulatedProvider;
let envFile: TestEnvFile;
let db: Db;
let redis: Redis;
let queue: AiQueue;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  simulator = await startSimulatedProvider({ port: 0, latencyMs: 300, jitterMs: 50, seed: 5 });
  envFile = await writeTestEnvFile(
    [{ prefix: 'sim-ok-one' }, { prefix: 'sim-ok-two' }, { prefix: 'sim-ok-three' }],
    {
      AI_PROVIDER_OPENAI_BASE_URL: simulator.openaiBaseUrl,
      AI_DAILY_QUOTA_PER_KEY: 10_000_000,
      AI_WORKER_CONCURRENCY: 16,
      // Recovery here comes from BullMQ's stalled check and the usage claim, not from lease expiry;
      // a short TTL would only let a slow call on a loaded machine outlive its lease.
      AI_LEASE_TTL_MS: 60_000,
      AI_REQUEST_TIMEOUT_MS: 30_000,
      AI_RETRY_DELAY_MS: 5,
      AI_JOB_LOCK_MS: 4_000,
      AI_STALLED_INTERVAL_MS: 2_000,
      AI_USAGE_CLAIM_AFTER_MS: 1_000,
    },
  );
  ({ db } = await importTestKeys(env, envFile));
  ({ redis, queue } = openTestQueue(env.redisUrl, env.queueName, env.prefix));
});

afterAll(async () => {
  await killAll(workers);
  await queue?.close();
  redis?.disconnect();
  await db?.destroy();
  await simulator?.close();
  await env.cleanup();
});

describe('a worker replica killed with SIGKILL mid-flight', () => {
  it('loses no job and no usage (key counters equal the logged tokens)', async () => {
    for (let i = 0; i < 2; i++) {
      workers.push(spawnWorker({ isolated: env, envFile: envFile.file }));
    }
    await Promise.all(workers.map((w) => w.ready));
    const [victim, survivor] = workers as [WorkerProcess, WorkerProcess];

    const prompts = uniquePrompts(JOBS);
    const added = await queue.addBulk(jobsFor(prompts).map((data) => ({ name: 'chat', data })));
    const promptOf = new Map(added.map((job, i) => [job.id!, prompts[i]!]));

    // Kill once work is well under way and the queue still has plenty left.
    await waitForCompleted(queue, JOBS, { atLeast: 40, timeoutMs: 60_000, workers });
    expect((await queue.getJobCounts('active')).active).toBeGreaterThan(0);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const completedAtKill = (await queue.getJobCounts('completed')).completed ?? 0;
    expect(completedAtKill).toBeLessThan(JOBS);

    await waitForCompleted(queue, JOBS, { timeoutMs: 75_000, workers: [survivor] });
    expect(await stopWorker(survivor)).toEqual({ code: 0, signal: null });
    // What the dead replica's flusher had read but not yet written was claimed by the survivor.
    expect(await redis.xlen(usageStreamKey(env.prefix))).toBe(0);

    const jobs = await queue.getJobs(['completed'], 0, -1);
    expect(jobs).toHaveLength(JOBS);
    expect((await queue.getJobCounts('failed')).failed).toBe(0);
    for (const job of jobs) expect(job.returnvalue.content).toBe(`echo: ${promptOf.get(job.id!)}`);
    // The kill hit jobs in flight: they ran again (BullMQ counts a new run).
    const rerun = jobs.filter((j) => j.attemptsStarted > 1);
    expect(rerun.length).toBeGreaterThan(0);

    const rows = await requestLogs(db);
    const ids = rows.map((r) => `${r.job_id}/${r.job_run}/${r.attempt}`);
    expect(new Set(ids).size).toBe(rows.length);
    const ok = rows.filter((r) => r.response_status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(JOBS);
    expect(new Set(ok.map((r) => r.job_id)).size).toBe(JOBS);
    // Each job's final run is logged exactly as its result says.
    for (const job of jobs) {
      const finalRun = rows.filter((r) => r.job_id === job.id && r.job_run === job.attemptsStarted);
      expect(finalRun.map((r) => [r.key_name, r.response_status, r.tokens_used])).toEqual(
        job.returnvalue.attempts.map((a, i, all) => [
          a.keyName,
          a.status,
          i === all.length - 1 ? job.returnvalue.usage.totalTokens : 0,
        ]),
      );
    }
    const loggedTokens = rows.reduce((s, r) => s + r.tokens_used, 0);
    // On a mismatch, say per key where it lies: Redis's count, Postgres's, the log's.
    const perKey: Record<string, { redis: number; postgres: number; logged: number }> = {};
    for (const key of (await keyRows(db)).values()) {
      const packed = await redis.getBuffer(leaseKeys(env.prefix).key(key.key_id));
      const logged = rows.filter((r) => r.key_id === key.key_id).reduce((s, r) => s + r.tokens_used, 0);
      const inRedis = packed === null ? -1 : decodePackedKey(key.key_id, packed).usedToday;
      perKey[key.key_name] = { redis: inRedis, postgres: key.used_today, logged };
    }
    expect(await sumUsedToday(db), JSON.stringify(perKey)).toBe(loggedTokens);
  }, 150_000);
});
