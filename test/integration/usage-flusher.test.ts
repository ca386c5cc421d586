import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { createDb, openDatabase, type Db } from '../../src/store/database.js';
import { UsageFlusher } from '../../src/usage/usage-flusher.js';
import type { UsageRecord } from '../../src/store/request-logs.js';
import { UsageStream } from '../../src/usage/usage-stream.js';
import { isolate } from '../setup/isolation.js';

const env = isolate('usage');
let db: Db;
let redis: Redis;
let keyId: number;
let accountId: number;

function record(over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    callId: randomUUID(),
    keyId,
    accountId,
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptTokens: 10,
    completionTokens: 5,
    totalTokens: 15,
    usageEstimated: false,
    costUsd: 0.0001,
    status: 200,
    error: null,
    jobId: 'job-1',
    jobRun: 1,
    attempt: 1,
    at: Date.now(),
    ...over,
  };
}

function testStream(): UsageStream {
  return new UsageStream(env.prefix);
}

/** Puts a record on the stream as a release would (the flusher is what is under test here). */
async function append(stream: UsageStream, r: UsageRecord): Promise<void> {
  const { entry } = stream.entryFor(r);
  await redis.xadd(stream.key, '*', 'r', entry);
}

async function loggedCount(jobIdLike: string): Promise<number> {
  const [row] = (await db('ai_request_logs').where('job_id', 'like', jobIdLike).count({ n: '*' })) as {
    n: number | string;
  }[];
  return Number(row?.n ?? 0);
}

async function loggedTokens(): Promise<number> {
  const row = (await db('ai_request_logs').sum({ sum: 'tokens_used' }).first()) as { sum: number | null };
  return Number(row.sum ?? 0);
}

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = new Redis(env.redisUrl);
  [{ account_id: accountId }] = await db('ai_accounts')
    .insert({ account_name: 'Primary Account', provider_name: 'openai', priority: 1 })
    .returning('account_id');
  [{ key_id: keyId }] = await db('ai_api_keys')
    .insert({
      account_id: accountId,
      api_key_hash: 'a'.repeat(64),
      api_key_encrypted: 'x',
      key_name: 'key_1',
      key_number: 1,
      model_name: 'gpt-4o-mini',
      daily_limit: 1000,
    })
    .returning('key_id');
});

afterAll(async () => {
  redis.disconnect();
  await db.destroy();
  await env.cleanup();
});

describe('usage write-back', () => {
  it('writes a batch of records as log rows in one go', async () => {
    const stream = testStream();
    const flusher = new UsageFlusher({ redis, db, prefix: env.prefix, logger: silentLogger });
    for (let i = 1; i <= 20; i++) await append(stream, record({ jobId: `batch-${i}` }));
    expect(await flusher.drain()).toBe(20);
    expect(await db('ai_request_logs').where('job_id', 'like', 'batch-%').count({ n: '*' })).toEqual([
      { n: 20 },
    ]);
    expect(await loggedTokens()).toBe(300);
    expect(await redis.xlen(stream.key)).toBe(0);
  });

  it('counts a replayed record once', async () => {
    const stream = testStream();
    const flusher = new UsageFlusher({ redis, db, prefix: env.prefix, logger: silentLogger });
    const before = await loggedTokens();
    const r = record({ jobId: 'replayed', totalTokens: 7 });
    await append(stream, r);
    await append(stream, r);
    await flusher.drain();
    expect(await loggedTokens()).toBe(before + 7);
    expect(await db('ai_request_logs').where({ job_id: 'replayed' }).count({ n: '*' })).toEqual([{ n: 1 }]);
  });

  it('writes the first record after a quiet spell at once, gathers the next ones, and writes them at stop', async () => {
    const stream = testStream();
    // An interval far longer than the test: only stop() can end the pause.
    const flusher = new UsageFlusher({
      redis,
      db,
      prefix: env.prefix,
      logger: silentLogger,
      minFlushIntervalMs: 600_000,
    });
    flusher.start();
    try {
      await append(stream, record({ jobId: 'paced-1' }));
      await vi.waitFor(async () => expect(await loggedCount('paced-%')).toBe(1), { timeout: 10_000 });
      await append(stream, record({ jobId: 'paced-2' }));
      await append(stream, record({ jobId: 'paced-3' }));
      await new Promise((r) => setTimeout(r, 300));
      expect(await loggedCount('paced-%')).toBe(1);
      expect(await redis.xlen(stream.key)).toBe(2);
    } finally {
      await flusher.stop();
    }
    expect(await loggedCount('paced-%')).toBe(3);
    expect(await redis.xlen(stream.key)).toBe(0);
  });

  it('keeps records in Redis while Postgres is unreachable and writes them once it is back', async () => {
    const stream = testStream();
    const downUrl = new URL(env.databaseUrl);
    downUrl.port = '1'; // nothing listens there: what an outage looks like to the client
    const downDb = createDb(downUrl.toString());
    const broken = new UsageFlusher({ redis, db: downDb, prefix: env.prefix, logger: silentLogger });
    const before = await loggedTokens();
    await append(stream, record({ jobId: 'outage-1', totalTokens: 11 }));
    await append(stream, record({ jobId: 'outage-2', totalTokens: 13 }));
    await expect(broken.flushOnce()).rejects.toThrow();
    await downDb.destroy();
    expect(await redis.xlen(stream.key)).toBe(2);
    // The failed consumer's records are claimed by a healthy one.
    const healthy = new UsageFlusher({
      redis,
      db,
      prefix: env.prefix,
      logger: silentLogger,
      claimAfterMs: 0,
    });
    expect(await healthy.drain()).toBe(2);
    expect(await loggedTokens()).toBe(before + 24);
    expect(await redis.xlen(stream.key)).toBe(0);
  });

  it('trims acknowledged records from the stream and keeps a record another consumer read but did not acknowledge', async () => {
    const prefix = `${env.prefix}:trim`;
    const stream = new UsageStream(prefix);
    const flusher = new UsageFlusher({ redis, db, prefix, logger: silentLogger, claimAfterMs: 60_000 });
    await flusher.flushOnce(); // creates the group
    await append(stream, record({ jobId: 'trim-held' }));
    // A consumer that reads the oldest record and stops (a worker killed before its write).
    const held = (await redis.xreadgroup(
      'GROUP',
      'usage-writers',
      'stopped',
      'COUNT',
      1,
      'STREAMS',
      stream.key,
      '>',
    )) as [string, [string, string[]][]][];
    const heldId = held[0]?.[1][0]?.[0];
    for (let i = 1; i <= 30; i++) await append(stream, record({ jobId: `trim-${i}` }));
    expect(await flusher.drain()).toBe(30);
    expect(await loggedCount('trim-%')).toBe(30);
    // The unacknowledged record is still there, with everything above it (trimmed only below it).
    const [first] = await redis.xrange(stream.key, '-', '+', 'COUNT', 1);
    expect(first?.[0]).toBe(heldId);

    // Once another consumer claims and writes it, the stream empties: nothing acknowledged stays.
    const claimer = new UsageFlusher({ redis, db, prefix, logger: silentLogger, claimAfterMs: 0 });
    expect(await claimer.drain()).toBe(1);
    expect(await loggedCount('trim-held')).toBe(1);
    expect(await redis.xlen(stream.key)).toBe(0);
  });
});
