/**
 * No block outlives AI_MAX_BLOCK_SECONDS, whatever a provider's headers or an operator asked for,
 * in Redis (the lease engine) and in Postgres (the key row); and a time too far away for a Date
 * never stops a key write, nor the other keys' writes beside it.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyPool, type KeyPool } from '../../../src/lease/key-pool.js';
import type { LeaseEngine } from '../../../src/lease/engine.js';
import { createScriptCaller } from '../../../src/lease/script-loader.js';
import { classifyHttpFailure } from '../../../src/providers/classify.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { writeKeyCounters, writeKeyState, type KeyStateWrite } from '../../../src/store/key-state-writes.js';
import { isolate } from '../../setup/isolation.js';
import { connectRedis, createEngine, seedKeys, type Seeded } from './fixtures.js';

const env = isolate('lease-block-cap');
const MAX_BLOCK_SECONDS = 3600;
const MAX_MS = MAX_BLOCK_SECONDS * 1000;
const LATEST_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
let db: Db;
let redis: Redis;
let engine: LeaseEngine;
let pool: KeyPool;
let seeded: Seeded;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = connectRedis(env.redisUrl);
  seeded = await seedKeys(db, [
    {},
    {},
    {},
    {},
    { status: 'temporarily_blocked', blockUntil: new Date(Date.UTC(5195, 0, 1)) },
  ]);
  engine = createEngine(redis, db, env.prefix, { settings: { maxBlockSeconds: MAX_BLOCK_SECONDS } });
  pool = createKeyPool({ db, engine, ring: seeded.ring, counterFlushMs: 60_000 });
  await pool.hydrate();
});

afterAll(async () => {
  await pool.close();
  redis.disconnect();
  await db.destroy();
  await env.cleanup();
});

const row = (keyId: number) =>
  db('ai_api_keys').where('key_id', keyId).first<{ status: string; temporary_block_until: Date | null }>();

/** The key's block end in Redis and in Postgres are both at most now + the cap (and were set). */
async function expectBlockedAtMostMax(keyId: number, before: number): Promise<void> {
  const after = Date.now();
  const [state] = await engine.keyStates([keyId]);
  expect(state?.status).toBe('temporarily_blocked');
  expect(state!.blockUntilMs).toBeGreaterThanOrEqual(before + MAX_MS - 1000);
  expect(state!.blockUntilMs).toBeLessThanOrEqual(after + MAX_MS + 1000);
  const stored = await row(keyId);
  expect(stored?.status).toBe('temporarily_blocked');
  expect(stored!.temporary_block_until!.getTime()).toBe(state!.blockUntilMs);
}

async function leaseOne(): Promise<number> {
  const picked = await pool.lease({ provider: 'openai', estimatedTokens: 0 });
  if (!picked.ok) throw new Error(`no key: ${picked.reason}`);
  return picked.key.keyId;
}

describe('blocks are capped at AI_MAX_BLOCK_SECONDS', () => {
  it('a 429 whose Retry-After is 99999999999 s blocks the key for the cap, not until year 5195', async () => {
    const before = Date.now();
    const picked = await pool.lease({ provider: 'openai', estimatedTokens: 0 });
    if (!picked.ok) throw new Error('no key');
    const failure = classifyHttpFailure({
      provider: 'openai',
      status: 429,
      headers: { 'retry-after': '99999999999' },
      now: before,
    });
    expect(failure.outcome.kind).toBe('rate_limited');
    await pool.release(picked.key, failure.outcome);
    await expectBlockedAtMostMax(picked.key.keyId, before);
  });

  it("Go's largest duration in x-ratelimit-reset-requests: capped the same way", async () => {
    const before = Date.now();
    const picked = await pool.lease({ provider: 'openai', estimatedTokens: 0 });
    if (!picked.ok) throw new Error('no key');
    const failure = classifyHttpFailure({
      provider: 'openai',
      status: 429,
      headers: {
        'x-ratelimit-reset-requests': '2562047h47m16.854775807s',
        'x-ratelimit-remaining-requests': '0',
      },
      now: before,
    });
    await pool.release(picked.key, failure.outcome);
    await expectBlockedAtMostMax(picked.key.keyId, before);
  });

  it('a release whose retry-after is not finite (Infinity, 1e300) is capped by the release path itself', async () => {
    const before = Date.now();
    const picked = await pool.lease({ provider: 'openai', estimatedTokens: 0 });
    if (!picked.ok) throw new Error('no key');
    await pool.release(picked.key, { kind: 'rate_limited', retryAfterMs: Infinity });
    await expectBlockedAtMostMax(picked.key.keyId, before);
    await pool.unblock(picked.key.keyId);
    const again = await leaseOne();
    const lease = (await engine.openLeases()).find((l) => l.keyId === again)!;
    await engine.release({ leaseId: lease.leaseId }, { kind: 'rate_limited', retryAfterMs: 1e300 });
    const [state] = await engine.keyStates([again]);
    expect(state!.blockUntilMs).toBeLessThanOrEqual(Date.now() + MAX_MS + 1000);
  });

  it('a block of centuries already in Postgres is hydrated as at most the cap after the row was written', async () => {
    const keyId = seeded.keyIds[4]!;
    const { updated_at } = await db('ai_api_keys')
      .where('key_id', keyId)
      .first<{ updated_at: Date }>('updated_at');
    const [state] = await engine.keyStates([keyId]);
    expect(state?.status).toBe('temporarily_blocked');
    expect(state!.blockUntilMs).toBe(updated_at.getTime() + MAX_MS);
  });

  it('an operator block longer than the cap (by any caller of the engine) is cut to it', async () => {
    const keyId = seeded.keyIds[3]!;
    const before = Date.now();
    await pool.block(keyId, 10 * 365 * 24 * 3600);
    await expectBlockedAtMostMax(keyId, before);
  });
});

function state(keyId: number, patch: Partial<KeyStateWrite>): KeyStateWrite {
  return {
    keyId,
    status: 'active',
    disabledKind: null,
    disabledReason: null,
    blockUntilMs: null,
    consecutiveFailures: 0,
    usedToday: 0,
    lastUsedAtMs: null,
    ...patch,
  };
}

describe('the scripts cap a block themselves, whatever the caller sends', () => {
  it('lease-release cuts a retry-after of 1e15 ms to its longest-block argument', async () => {
    const keyId = await leaseOne();
    const lease = (await engine.openLeases()).find((l) => l.keyId === keyId)!;
    const scripts = createScriptCaller(redis);
    const s = engine.settings;
    await scripts.call(
      'lease-release',
      [...engine.keys.scriptKeys, engine.keys.leases],
      [
        engine.keys.base,
        0,
        s.leaseTtlMs,
        s.blockSeconds,
        MAX_BLOCK_SECONDS,
        s.circuitBreakerThreshold,
        s.keyProbeAfterMs,
        s.providerCooldownMs,
        1,
        1,
        'R',
        1,
        lease.leaseId,
        'rate_limited',
        0,
        '0',
        1e15,
        429,
        '',
      ],
    );
    const [state] = await engine.keyStates([keyId]);
    expect(state?.status).toBe('temporarily_blocked');
    expect(state!.blockUntilMs).toBeLessThanOrEqual(Date.now() + MAX_MS + 1000);
    await pool.unblock(keyId);
  });

  it('block-4 cuts a duration of 1e15 ms to its longest-block argument', async () => {
    const keyId = seeded.keyIds[0]!;
    await createScriptCaller(redis).call('block', engine.keys.scriptKeys, [
      engine.keys.base,
      0,
      keyId,
      1e15,
      MAX_MS,
    ]);
    const [state] = await engine.keyStates([keyId]);
    expect(state!.blockUntilMs).toBeLessThanOrEqual(Date.now() + MAX_MS + 1000);
    await pool.unblock(keyId);
  });
});

describe('key writes with times a Date cannot hold', () => {
  it('a huge or infinite block end is clamped, and the keys written after it are written too', async () => {
    const [a, b, c] = seeded.keyIds as [number, number, number];
    for (const blockUntilMs of [Infinity, 1e300, 8.64e15 + 1]) {
      await writeKeyState(db, state(a, { status: 'temporarily_blocked', blockUntilMs }));
      expect((await row(a))!.temporary_block_until!.getTime()).toBe(LATEST_TIMESTAMP_MS);
    }
    await writeKeyState(db, state(b, { status: 'active', usedToday: 7 }));
    expect(await row(b)).toMatchObject({ status: 'active', temporary_block_until: null });
    // One counter batch with a last use past any Date next to ordinary ones: every row is written.
    const now = Date.now();
    await writeKeyCounters(db, [
      state(a, { usedToday: 11, lastUsedAtMs: Infinity }),
      state(b, { usedToday: 12, lastUsedAtMs: now }),
      state(c, { usedToday: 13, lastUsedAtMs: Number.NaN }),
    ]);
    const rows = await db('ai_api_keys')
      .whereIn('key_id', [a, b, c])
      .orderBy('key_id')
      .select<{ used_today: number; last_used_at: Date | null }[]>('used_today', 'last_used_at');
    expect(rows.map((r) => Number(r.used_today))).toEqual([11, 12, 13]);
    expect(rows[0]!.last_used_at!.getTime()).toBe(LATEST_TIMESTAMP_MS);
  });
});
