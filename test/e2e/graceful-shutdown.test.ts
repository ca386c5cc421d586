/**
 * SIGTERM to a worker replica (`npm run worker`, a real child process) with slow provider calls in
 * flight: it takes no new job, finishes the in-flight ones, releases their leases, writes their
 * usage, and exits 0; the jobs it never started wait for the next replica, which gets the key's
 * full capacity at once. A second signal during the shutdown exits at once, non-zero.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaseKeys } from '../../src/lease/redis-keys.js';
import { decodePackedKey } from '../../src/lease/packed-state.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';
import type { Db } from '../../src/store/database.js';
import { usageStreamKey } from '../../src/usage/usage-stream.js';
import { isolate } from '../setup/isolation.js';
import { importTestKeys, writeTestEnvFile, type TestEnvFile } from './support/env-file.js';
import {
  jobsFor,
  requestLogs,
  sumUsedToday,
  uniquePrompts,
  type AiQueue,
  openTestQueue,
} from './support/pipeline.js';
import { killAll, spawnWorker, type WorkerProcess } from './support/worker-process.js';

const CONCURRENCY = 4;
const JOBS = 10;

const env = isolate('e2e-shutdown');
let simulator: SimulatedProvider;
let envFile: TestEnvFile;
let db: Db;
let redis: Redis;
let queue: AiQueue;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  simulator = await startSimulatedProvider({ port: 0, latencyMs: 1500, seed: 3, recordRequests: true });
  envFile = await writeTestEnvFile(
    // One key that takes exactly CONCURRENCY calls at once: a lease left held would show at once.
    [{ prefix: 'sim-ok-solo', dailyLimit: 10_000_000, maxConcurrency: CONCURRENCY }],
    {
      AI_PROVIDER_OPENAI_BASE_URL: simulator.openaiBaseUrl,
      AI_WORKER_CONCURRENCY: CONCURRENCY,
      AI_LEASE_TTL_MS: 120_000,
    },
  );
  ({ db } = await importTestKeys(env, envFile));
  // A key already in service (it succeeded before): a new one would take one call at a time until
  // its first success (slow start), which is not what this test is about.
  await db('ai_api_keys').update({ last_used_at: new Date() });
  ({ redis, queue } = openTestQueue(env.redisUrl, env.queueName, env.prefix));
  await queue.addBulk(jobsFor(uniquePrompts(JOBS)).map((data) => ({ name: 'chat', data })));
});

afterAll(async () => {
  await killAll(workers);
  await queue?.close();
  redis?.disconnect();
  await db?.destroy();
  await simulator?.close();
  await env.cleanup();
});

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function leaseState(): Promise<{ leases: number; inflight: number; reserved: number }> {
  const keys = leaseKeys(env.prefix);
  const [keyId] = (await db('ai_api_keys').pluck('key_id')) as number[];
  const packed = await redis.getBuffer(keys.key(keyId!));
  const { inflight, reserved } = decodePackedKey(keyId!, packed!);
  return { leases: await redis.zcard(keys.leases), inflight, reserved };
}

describe('a worker replica that gets SIGTERM with calls in flight', () => {
  it('finishes them, releases their leases, writes their usage and exits 0', async () => {
    const first = spawnWorker({ isolated: env, envFile: envFile.file });
    workers.push(first);
    await first.ready;
    await until(`${CONCURRENCY} calls in flight`, () => simulator.requests.length >= CONCURRENCY);
    expect(await leaseState()).toMatchObject({ leases: CONCURRENCY, inflight: CONCURRENCY });

    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(simulator.requests).toHaveLength(CONCURRENCY); // took no new job after the signal
    const counts = await queue.getJobCounts('completed', 'active', 'waiting', 'failed', 'delayed');
    expect(counts).toEqual({
      completed: CONCURRENCY,
      active: 0,
      waiting: JOBS - CONCURRENCY,
      failed: 0,
      delayed: 0,
    });
    expect(await leaseState()).toEqual({ leases: 0, inflight: 0, reserved: 0 });
    expect(await redis.xlen(usageStreamKey(env.prefix))).toBe(0);
    const rows = await requestLogs(db);
    expect(rows.map((r) => r.response_status)).toEqual(Array(CONCURRENCY).fill(200));
    expect(await sumUsedToday(db)).toBe(rows.reduce((s, r) => s + r.tokens_used, 0));
    expect(first.stdout()).toContain('shutting down');

    // A new replica gets the key's whole capacity at once: nothing was left leased.
    const second = spawnWorker({ isolated: env, envFile: envFile.file });
    workers.push(second);
    await second.ready;
    await until('a full set of new calls', () => simulator.requests.length >= 2 * CONCURRENCY);
    expect(await leaseState()).toMatchObject({ leases: CONCURRENCY, inflight: CONCURRENCY });

    // A second signal does not wait for them.
    second.child.kill('SIGTERM');
    await until('the shutdown to start', () => second.stdout().includes('shutting down'));
    second.child.kill('SIGTERM');
    const exit = await second.exited;
    expect(exit.code).not.toBe(0);
    expect(exit).toEqual({ code: 130, signal: null });
    expect((await queue.getJobCounts('completed')).completed).toBe(CONCURRENCY);
  }, 90_000);
});
