/**
 * A call slower than its lease: the lease expires (its reservation comes back), and its release,
 * arriving late, still counts the call's tokens on the key and account, once, and still appends
 * its usage record: what the keys count is what the usage log holds.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyPool, type KeyPool } from '../../../src/lease/key-pool.js';
import type { LeaseEngine } from '../../../src/lease/engine.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { usageStreamKey } from '../../../src/usage/usage-stream.js';
import { isolate } from '../../setup/isolation.js';
import { connectRedis, createEngine, seedKeys, TestClock } from './fixtures.js';

const env = isolate('lease-late-release');
const TTL = 1000;
let db: Db;
let redis: Redis;
let engine: LeaseEngine;
let pool: KeyPool;
let keyIds: number[];
let accountId: number;
const clock = new TestClock();

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = connectRedis(env.redisUrl);
  const seeded = await seedKeys(db, [{ dailyLimit: 100_000 }, { dailyLimit: 100_000 }], {
    'openai:1': { dailyQuota: 1_000_000 },
  });
  keyIds = seeded.keyIds;
  accountId = seeded.accountIds.get('openai:1')!;
  engine = createEngine(redis, db, env.prefix, { clock: clock.now, settings: { leaseTtlMs: TTL } });
  pool = createKeyPool({ db, engine, ring: seeded.ring, counterFlushMs: 60_000 });
  await pool.hydrate();
});

afterAll(async () => {
  await pool.close();
  redis.disconnect();
  await db.destroy();
  await env.cleanup();
});

describe('a release after its lease expired', () => {
  it('counts the tokens on the key and account once, and logs them: Σ used = Σ logged', async () => {
    const stream = usageStreamKey(env.prefix);
    const release = async (leaseId: string, tokens: number) =>
      pool.release({ leaseId }, { kind: 'success', tokens }, { stream, entry: String(tokens) });
    const lease = async () => {
      const picked = await pool.lease({ provider: 'openai', estimatedTokens: 50 });
      if (!picked.ok) throw new Error('no key');
      return picked.key.leaseId;
    };

    const onTime = await lease();
    const slow = await lease();
    const slowest = await lease();
    await release(onTime, 40);
    clock.advance(TTL);
    // One more lease reclaims the two expired ones; `slow` is released after that, `slowest` is
    // still open past its expiry when its release comes.
    const after = await lease();
    expect(await release(slow, 70)).toMatchObject({ released: false, reason: 'expired' });
    expect(await release(slowest, 90)).toMatchObject({ released: false, reason: 'expired' });
    // Released twice (a retry that did reach Redis the first time): counted once.
    expect(await pool.release({ leaseId: slow }, { kind: 'success', tokens: 70 })).toEqual({
      released: false,
      reason: 'unknown',
    });
    await release(after, 10);

    const logged = (await redis.xrange(stream, '-', '+')).map(([, f]) => Number(f[1]));
    const logSum = logged.reduce((a, b) => a + b, 0);
    const states = await engine.keyStates(keyIds);
    const used = states.reduce((sum, s) => sum + s.usedToday, 0);
    expect(used).toBe(40 + 70 + 90 + 10);
    expect(logSum).toBe(used);
    expect(states.every((s) => s.reserved === 0 && s.inflight === 0)).toBe(true);
    expect((await engine.accountCounters(accountId))?.used).toBe(used);

    await pool.flush();
    const rows = await db('ai_api_keys')
      .whereIn('key_id', keyIds)
      .select<{ used_today: number }[]>('used_today');
    expect(rows.reduce((sum, r) => sum + r.used_today, 0)).toBe(used);
  });
});

describe('a failed call that was billed all the same (a stream broken after its first chunk)', () => {
  it('counts its paid tokens on the key and account, on time or late, and still counts the failure', async () => {
    const before = await engine.keyStates(keyIds);
    const accountBefore = (await engine.accountCounters(accountId))?.used ?? 0;
    const broken = { kind: 'server_error', status: 200, paid: { tokens: 33 } } as const;
    const onTime = await pool.lease({ provider: 'openai', estimatedTokens: 50 });
    if (!onTime.ok) throw new Error('no key');
    expect(await pool.release({ leaseId: onTime.key.leaseId }, broken)).toMatchObject({ released: true });
    const late = await pool.lease({ provider: 'openai', estimatedTokens: 50 });
    if (!late.ok) throw new Error('no key');
    clock.advance(TTL);
    expect(await pool.release({ leaseId: late.key.leaseId }, broken)).toMatchObject({
      released: false,
      reason: 'expired',
    });
    // Unpaid failures count nothing: the same release without `paid`.
    const unpaid = await pool.lease({ provider: 'openai', estimatedTokens: 50 });
    if (!unpaid.ok) throw new Error('no key');
    await pool.release({ leaseId: unpaid.key.leaseId }, { kind: 'server_error', status: 500 });

    const after = await engine.keyStates(keyIds);
    const sum = (states: typeof after) => states.reduce((s, k) => s + k.usedToday, 0);
    expect(sum(after) - sum(before)).toBe(33 + 33);
    expect((await engine.accountCounters(accountId))?.used).toBe(accountBefore + 66);
    const onTimeKey = after.find((s) => s.keyId === onTime.key.keyId)!;
    const onTimeBefore = before.find((s) => s.keyId === onTime.key.keyId)!;
    expect(onTimeKey.consecutiveFailures).toBeGreaterThan(onTimeBefore.consecutiveFailures);
  });
});
