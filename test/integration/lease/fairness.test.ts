/**
 * Fairness: equal-cost leases over k equal keys spread evenly (used_today within one lease's cost of
 * each other after every round), and the fallback account is chosen only when no primary key can
 * serve, under concurrent callers too.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { isolate } from '../../setup/isolation.js';
import { connectRedis, createEngine, seedKeys } from './fixtures.js';

const env = isolate('lease-fair');
let db: Db;
let redis: Redis;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = connectRedis(env.redisUrl);
});

afterAll(async () => {
  redis.disconnect();
  await db.destroy();
  await env.cleanup();
});

beforeEach(async () => {
  await env.flushRedis();
  await db.raw('TRUNCATE ai_request_logs, ai_api_keys, ai_accounts RESTART IDENTITY CASCADE');
});

describe('fairness', () => {
  it('spreads equal-cost leases over k equal keys within one lease cost', async () => {
    const K = 7;
    const COST = 37;
    const seeded = await seedKeys(
      db,
      Array.from({ length: K }, () => ({ dailyLimit: 1_000_000 })),
    );
    const engine = createEngine(redis, db, env.prefix);
    await engine.hydrate();
    const used = new Map(seeded.keyIds.map((id) => [id, 0]));
    for (let round = 0; round < 40; round++) {
      // 16 concurrent callers per round, all released before the next round
      const results = await Promise.all(
        Array.from({ length: 16 }, () => engine.lease({ provider: 'openai', estimatedTokens: COST })),
      );
      await Promise.all(
        results.map(async (r) => {
          if (!r.ok) throw new Error('no key');
          await engine.release(r.lease, { kind: 'success', tokens: COST });
          used.set(r.lease.keyId, used.get(r.lease.keyId)! + COST);
        }),
      );
      const values = [...used.values()];
      expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(COST);
    }
    for (const id of seeded.keyIds) expect((await engine.keyStates([id]))[0]!.usedToday).toBe(used.get(id));
  });

  it('never chooses the fallback account while a primary key could serve', async () => {
    const seeded = await seedKeys(db, [
      { dailyLimit: 1000, maxConcurrency: 2 },
      { dailyLimit: 1000, maxConcurrency: 2 },
      { priority: 2, dailyLimit: 1_000_000 },
    ]);
    const [p1, p2, fallback] = seeded.keyIds as [number, number, number];
    const engine = createEngine(redis, db, env.prefix);
    await engine.hydrate();
    const open = new Map<number, number>([
      [p1, 0],
      [p2, 0],
      [fallback, 0],
    ]);
    const committed = new Map<number, number>([
      [p1, 0],
      [p2, 0],
    ]);
    let fallbackUsed = 0;
    // Sequential decisions so the test knows exactly what the primary keys could serve at each step.
    for (let i = 0; i < 200; i++) {
      const cost = 10 + (i % 7) * 5;
      const primaryCouldServe = [p1, p2].some((id) => open.get(id)! < 2 && committed.get(id)! + cost <= 1000);
      const r = await engine.lease({ provider: 'openai', estimatedTokens: cost });
      if (!r.ok) throw new Error('no key');
      const id = r.lease.keyId;
      if (primaryCouldServe) expect(id).not.toBe(fallback);
      else expect(id).toBe(fallback);
      if (id === fallback) fallbackUsed++;
      open.set(id, open.get(id)! + 1);
      if (id !== fallback) committed.set(id, committed.get(id)! + cost);
      // release every other lease, so the caps both bind and free up
      if (i % 2 === 1) {
        for (const { leaseId, keyId, estimatedTokens } of await engine.openLeases()) {
          await engine.release({ leaseId }, { kind: 'success', tokens: estimatedTokens });
          open.set(keyId, open.get(keyId)! - 1);
        }
      }
    }
    expect(fallbackUsed).toBeGreaterThan(0);
    expect(committed.get(p1)! + committed.get(p2)!).toBeGreaterThan(1900);
  });
});
