/**
 * What a usage record can do to the flusher: a row Postgres refuses or an entry that cannot be
 * decoded is set aside (never retried forever), a job id reused after Redis lost its data is never
 * swallowed, and a stream or consumer group that vanished is created again without a restart.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { createDb, openDatabase, type Db } from '../../src/store/database.js';
import { writeUsageBatch } from '../../src/store/request-logs.js';
import { countUsageRejects } from '../../src/store/usage-rejects.js';
import { UsageFlusher } from '../../src/usage/usage-flusher.js';
import type { UsageRecord } from '../../src/store/request-logs.js';
import { UsageStream } from '../../src/usage/usage-stream.js';
import { isolate } from '../setup/isolation.js';

const env = isolate('rejects');
let db: Db;
let redis: Redis;
let stream: UsageStream;
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

async function appendText(...fields: string[]): Promise<string> {
  return (await redis.xadd(stream.key, '*', ...fields))!;
}

const append = (r: UsageRecord) => appendText('r', stream.entryFor(r).entry);

async function rowsOf(jobId: string): Promise<{ call_id: string | null; tokens_used: number }[]> {
  return db('ai_request_logs').where({ job_id: jobId }).select('call_id', 'tokens_used').orderBy('log_id');
}

const flusher = (over: Partial<ConstructorParameters<typeof UsageFlusher>[0]> = {}) =>
  new UsageFlusher({ redis, db, prefix: env.prefix, logger: silentLogger, ...over });

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = new Redis(env.redisUrl);
  stream = new UsageStream(env.prefix);
  [{ account_id: accountId }] = await db('ai_accounts')
    .insert({ account_name: 'Primary Account', provider_name: 'openai', priority: 1 })
    .returning('account_id');
  [{ key_id: keyId }] = await db('ai_api_keys')
    .insert({
      account_id: accountId,
      api_key_hash: 'b'.repeat(64),
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

describe('records Postgres refuses', () => {
  it('sets a row Postgres refuses aside with its reason and writes the rest of the batch', async () => {
    const bad = record({ jobId: 'fraction', completionTokens: 20.5, totalTokens: 30.5 });
    const badText = stream.entryFor(bad).entry;
    const badId = await appendText('r', badText);
    await append(record({ jobId: 'fraction-ok-1' }));
    await append(record({ jobId: 'fraction-ok-2' }));
    // Before: the batch failed with "invalid input syntax for type integer" on every read, forever.
    expect(await flusher().drain()).toBe(3);
    expect(await rowsOf('fraction-ok-1')).toHaveLength(1);
    expect(await rowsOf('fraction-ok-2')).toHaveLength(1);
    expect(await rowsOf('fraction')).toHaveLength(0);
    const rejects = await db('ai_usage_rejects').where({ stream_id: badId });
    expect(rejects).toEqual([
      expect.objectContaining({
        raw_record: badText,
        sqlstate: '22P02',
        error_message: expect.stringMatching(/invalid input syntax for type integer/),
      }),
    ]);
    expect(await redis.xlen(stream.key)).toBe(0);
  });

  it('sets an entry that cannot be decoded aside instead of dropping it', async () => {
    const before = await countUsageRejects(db);
    const notJson = await appendText('r', '{not json');
    const noField = await appendText('x', 'y');
    // Postgres text cannot hold NUL: the reject row itself must still be writable.
    const withNul = await appendText('r', 'a\u0000b');
    await append(record({ jobId: 'after-garbage' }));
    const f = flusher();
    expect(await f.drain()).toBe(4);
    expect(f.rejected).toBe(3);
    expect(await rowsOf('after-garbage')).toHaveLength(1);
    expect(await countUsageRejects(db)).toBe(before + 3);
    const rows = await db('ai_usage_rejects').whereIn('stream_id', [notJson, noField, withNul]).orderBy('id');
    expect(
      rows.map((r: { raw_record: string; sqlstate: string | null }) => [r.raw_record, r.sqlstate]),
    ).toEqual([
      ['{not json', null],
      ['["x","y"]', null],
      ['a\\u0000b', null],
    ]);
  });

  it('sets nothing aside while Postgres is unreachable: the records wait in the stream', async () => {
    const down = new URL(env.databaseUrl);
    down.port = '1';
    const downDb = createDb(down.toString());
    const before = await countUsageRejects(db);
    await append(record({ jobId: 'waits', completionTokens: 1.5 }));
    await expect(flusher({ db: downDb }).flushOnce()).rejects.toThrow();
    await downDb.destroy();
    expect(await redis.xlen(stream.key)).toBe(1);
    expect(await countUsageRejects(db)).toBe(before);
    await flusher({ claimAfterMs: 0 }).drain();
    expect(await countUsageRejects(db)).toBe(before + 1);
  });
});

describe('usage identity', () => {
  it('keeps a new call whose job id, run and attempt repeat an old row (ids restart after Redis lost its data)', async () => {
    // A row from before call ids (NULL call_id) and one from before Redis lost its data.
    await db('ai_request_logs').insert({
      key_id: keyId,
      account_id: accountId,
      provider: 'openai',
      model: 'gpt-4o-mini',
      tokens_used: 100,
      response_status: 200,
      job_id: '1',
      job_run: 1,
      attempt: 1,
    });
    expect(await writeUsageBatch(db, [record({ jobId: '1', totalTokens: 200 })])).toBe(1);
    const fresh = record({ jobId: '1', totalTokens: 300 });
    await append(fresh);
    await append(fresh); // a replay of the same call
    await flusher().drain();
    expect((await rowsOf('1')).map((r) => r.tokens_used)).toEqual([100, 200, 300]);
  });

  it('decodes a record written before call ids with a stable id, so its replays count once', async () => {
    const legacy = record({ jobId: 'legacy', totalTokens: 9 });
    const text = stream.entryFor(legacy).entry;
    const legacyText = JSON.stringify((JSON.parse(text) as unknown[]).slice(0, 14));
    await appendText('r', legacyText);
    await appendText('r', legacyText);
    await flusher().drain();
    const rows = await rowsOf('legacy');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.call_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('a stream that vanished', () => {
  it('creates the stream and its group again and goes on writing, without a restart', async () => {
    const running = flusher({ minFlushIntervalMs: 0 });
    running.start();
    try {
      await append(record({ jobId: 'before-loss' }));
      await vi.waitFor(async () => expect(await rowsOf('before-loss')).toHaveLength(1), { timeout: 10_000 });
      // What FLUSHALL does to this deployment's keys.
      expect(await env.flushRedis()).toBeGreaterThan(0);
      await append(record({ jobId: 'after-loss-1' }));
      await append(record({ jobId: 'after-loss-2' }));
      await vi.waitFor(
        async () => {
          expect(await rowsOf('after-loss-1')).toHaveLength(1);
          expect(await rowsOf('after-loss-2')).toHaveLength(1);
        },
        { timeout: 10_000 },
      );
    } finally {
      await running.stop();
    }
  });
});
