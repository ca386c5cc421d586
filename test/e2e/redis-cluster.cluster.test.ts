/**
 * aikeys on a Redis Cluster (three primaries of the test's own, AIKEYS_REDIS_CLUSTER=true):
 * - the lease engine through the ioredis Cluster client: leases, releases with usage records, a
 *   block, and the function library's reload on the node that holds the deployment's slot;
 * - the full pipeline with two worker processes: every job done, every usage record in Postgres,
 *   the usage stream emptied, and every key of the deployment (queue, lease state, usage stream) on
 *   the one primary that serves its hash tag;
 * - two pools, each under its own prefix and hash tag, served by two different primaries.
 * Skipped, with the reason, where redis-server or redis-cli is missing.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AiJobData, AiJobResult } from '../../src/jobs/job-schema.js';
import { LeaseEngine } from '../../src/lease/engine.js';
import { leaseLibrary } from '../../src/lease/script-loader.js';
import { createBullConnection, createCommandConnection } from '../../src/queues/connections.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';
import { openDatabase } from '../../src/store/database.js';
import { loadKeyStateSnapshot } from '../../src/store/lease-snapshot.js';
import { UsageStream, usageStreamKey } from '../../src/usage/usage-stream.js';
import { TEST_SETTINGS, seedKeys } from '../integration/lease/fixtures.js';
import { isolate, type Isolated } from '../setup/isolation.js';
import { importTestKeys, writeTestEnvFile } from './support/env-file.js';
import { jobsFor, uniquePrompts, waitForCompleted } from './support/pipeline.js';
import { clusterToolsMissing, startRedisCluster, type RedisCluster } from './support/redis-cluster.js';
import { killAll, spawnWorker, stopWorker, type WorkerProcess } from './support/worker-process.js';

const missing = clusterToolsMissing();
if (missing) console.warn(`Redis Cluster tests skipped: ${missing}`);

const poolA = isolate('cluster-a');
const poolB = isolate('cluster-b');
let cluster: RedisCluster;
let simulator: SimulatedProvider;
const workers: WorkerProcess[] = [];
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  if (missing) return;
  cluster = await startRedisCluster(3);
  simulator = await startSimulatedProvider({ port: 0, latencyMs: 5, jitterMs: 5, seed: 3 });
});

afterAll(async () => {
  await killAll(workers);
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await simulator?.close();
  await cluster?.destroy();
  await poolA.cleanup();
  await poolB.cleanup();
});

/** Every key under `prefix` on each primary: [port, count][]. */
async function keysByNode(prefix: string): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const port of cluster.ports) {
    const keys = await cluster.node(port).keys(`${prefix.replace(/[[\]*?\\]/g, '\\$&')}*`);
    if (keys.length) counts.set(port, keys.length);
  }
  return counts;
}

/** A prefix like `{<label>-<n>}` whose slot another primary than `otherPort` serves. */
async function prefixAwayFrom(label: string, otherPort: number): Promise<string> {
  for (let n = 0; n < 100; n++) {
    const prefix = `{${label}-${n}}`;
    if ((await cluster.ownerOf(prefix)) !== otherPort) return prefix;
  }
  throw new Error('no prefix found on another primary');
}

function clusterEnv(prefix: string): Record<string, string> {
  return { REDIS_URL: cluster.url, AIKEYS_REDIS_CLUSTER: 'true', AIKEYS_PREFIX: prefix };
}

/** An env file of healthy simulated keys, imported into the pool's database. */
async function importPool(pool: Isolated, keys: number) {
  const envFile = await writeTestEnvFile(
    Array.from({ length: keys }, () => ({ prefix: 'sim-ok-cluster', dailyLimit: 10_000_000 })),
    {
      AI_PROVIDER_OPENAI_BASE_URL: simulator.openaiBaseUrl,
      AI_WORKER_CONCURRENCY: 8,
      AI_REQUEST_TIMEOUT_MS: 10_000,
    },
  );
  const { db } = await importTestKeys(pool, envFile);
  closers.push(() => db.destroy());
  return { envFile, db };
}

function clusterQueue(pool: Isolated, prefix: string): Queue<AiJobData, AiJobResult> {
  const connection = createBullConnection(cluster.url, {}, { cluster: true });
  const queue = new Queue<AiJobData, AiJobResult>(pool.queueName, { connection, prefix });
  closers.push(async () => {
    await queue.close();
    connection.disconnect();
  });
  return queue;
}

describe.skipIf(missing !== undefined)('aikeys on a Redis Cluster of three primaries', () => {
  it('leases and releases through the Cluster client, and reloads its function library on the node that lost it', async () => {
    const db = await openDatabase(poolA.databaseUrl);
    closers.push(() => db.destroy());
    const { keyIds } = await seedKeys(db, [{}, {}, { priority: 2 }]);
    const redis: Redis = createCommandConnection(cluster.url, {}, { cluster: true });
    closers.push(async () => redis.disconnect());
    const prefix = '{aikeys-cluster-engine}';
    const engine = new LeaseEngine({
      redis,
      prefix,
      settings: TEST_SETTINGS,
      loadSnapshot: () => loadKeyStateSnapshot(db),
    });
    await engine.hydrate();
    const stream = new UsageStream(prefix);
    const record = (keyId: number) =>
      stream.entryFor({
        callId: `call-${keyId}-${Math.random()}`,
        keyId,
        accountId: 1,
        provider: 'openai',
        model: 'gpt-4o-mini',
        promptTokens: 10,
        completionTokens: 5,
        totalTokens: 15,
        usageEstimated: false,
        costUsd: 0,
        status: 200,
        error: null,
        jobId: 'cluster',
        jobRun: 1,
        attempt: 1,
        at: Date.now(),
      });
    // 40 concurrent pairs: the engine batches them into few script calls.
    const used = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const result = await engine.lease({ provider: 'openai', estimatedTokens: 20 });
        if (!result.ok) throw new Error(`no lease: ${result.reason}`);
        const { lease } = result;
        const released = await engine.release(
          lease,
          { kind: 'success', tokens: 15, costUsd: 0 },
          record(lease.keyId),
        );
        expect(released.released).toBe(true);
        return lease.keyId;
      }),
    );
    // Primary keys first: the fallback key is never needed.
    expect(new Set(used)).toEqual(new Set(keyIds.slice(0, 2)));
    const owner = await cluster.ownerOf(prefix);
    expect(await cluster.node(owner).xlen(usageStreamKey(prefix))).toBe(40);
    expect([...(await keysByNode(prefix)).keys()]).toEqual([owner]);

    // A rate-limited key blocks itself; then the node loses the library (a slot moved to a primary
    // that never had it looks the same) and the next lease still works.
    const first = await engine.lease({ provider: 'openai', estimatedTokens: 20 });
    if (!first.ok) throw new Error('expected a lease');
    await engine.release(first.lease, { kind: 'rate_limited', retryAfterMs: 60_000 });
    await cluster.node(owner).call('FUNCTION', 'DELETE', leaseLibrary().name);
    const next = await engine.lease({ provider: 'openai', estimatedTokens: 20 });
    expect(next.ok && next.lease.keyId).not.toBe(first.lease.keyId);
    expect(next.ok).toBe(true);
  });

  it('runs the pipeline with two worker processes, every key of the deployment on one primary', async () => {
    const prefix = poolA.prefix;
    const { envFile, db } = await importPool(poolA, 4);
    for (let i = 0; i < 2; i++)
      workers.push(spawnWorker({ isolated: poolA, envFile: envFile.file, env: clusterEnv(prefix) }));
    await Promise.all(workers.map((w) => w.ready));
    const queue = clusterQueue(poolA, prefix);
    const JOBS = 300;
    await queue.addBulk(jobsFor(uniquePrompts(JOBS), 16).map((data) => ({ name: 'chat', data })));
    await waitForCompleted(queue as never, JOBS, { timeoutMs: 90_000, workers });
    const exits = await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
    expect(exits).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    const [{ n }] = (await db('ai_request_logs').count({ n: '*' })) as [{ n: string }];
    expect(Number(n)).toBe(JOBS);
    const owner = await cluster.ownerOf(prefix);
    // Trimmed once Postgres had every record.
    expect(await cluster.node(owner).xlen(usageStreamKey(prefix))).toBe(0);
    const byNode = await keysByNode(prefix);
    expect([...byNode.keys()]).toEqual([owner]);
    // Queue keys (jobs, wait list, events), lease state and the usage consumer group's stream.
    expect(byNode.get(owner)).toBeGreaterThan(JOBS);
  });

  it('serves two pools under two hash tags on two different primaries', async () => {
    const prefixA = poolA.prefix;
    const ownerA = await cluster.ownerOf(prefixA);
    const prefixB = await prefixAwayFrom(`aikeys-t-${poolB.id}`, ownerA);
    const ownerB = await cluster.ownerOf(prefixB);
    expect(ownerB).not.toBe(ownerA);
    const { envFile: fileB, db: dbB } = await importPool(poolB, 2);
    const fileA = (await importPool(poolA, 4)).envFile;
    const workerA = spawnWorker({ isolated: poolA, envFile: fileA.file, env: clusterEnv(prefixA) });
    const workerB = spawnWorker({ isolated: poolB, envFile: fileB.file, env: clusterEnv(prefixB) });
    workers.push(workerA, workerB);
    await Promise.all([workerA.ready, workerB.ready]);
    const queueA = clusterQueue(poolA, prefixA);
    const queueB = clusterQueue(poolB, prefixB);
    const completedA = (await queueA.getJobCounts('completed')).completed ?? 0;
    await queueA.addBulk(jobsFor(uniquePrompts(100), 16).map((data) => ({ name: 'chat', data })));
    await queueB.addBulk(jobsFor(uniquePrompts(100), 16).map((data) => ({ name: 'chat', data })));
    await waitForCompleted(queueA as never, completedA + 100, { timeoutMs: 60_000, workers });
    await waitForCompleted(queueB as never, 100, { timeoutMs: 60_000, workers });
    await Promise.all(workers.splice(0).map((w) => stopWorker(w)));
    const [{ n }] = (await dbB('ai_request_logs').count({ n: '*' })) as [{ n: string }];
    expect(Number(n)).toBe(100);
    expect([...(await keysByNode(prefixB)).keys()]).toEqual([ownerB]);
    expect([...(await keysByNode(prefixA)).keys()]).toEqual([ownerA]);
  });
});
