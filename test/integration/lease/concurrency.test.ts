/**
 * 4 processes x 16 concurrent callers lease and release thousands of times with random outcomes
 * (successes, request errors, server errors, rate limits) on keys with different caps and limits.
 * Afterwards every grant is replayed in the engine's order: no key was ever over its cap or its
 * daily limit, and every token is counted exactly once in Redis and in Postgres.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyPool } from '../../../src/lease/key-pool.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { isolate } from '../../setup/isolation.js';
import { connectRedis, createEngine, seedKeys, TEST_SETTINGS, type KeySpec } from './fixtures.js';
import { allDone, readEvents, spawnWorker, startWhenReady } from './processes.js';
import { replay, type KeyRules } from './replay.js';

const PROCESSES = 4;
const CALLERS = 16;
const ROUNDS = 80;
const SETTINGS = { ...TEST_SETTINGS, providerCooldownMs: 20, keyProbeAfterMs: 50 };

const env = isolate('lease-conc');
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

const SPECS: KeySpec[] = [
  { maxConcurrency: 1, dailyLimit: 30_000 },
  { maxConcurrency: 2, dailyLimit: 30_000 },
  { maxConcurrency: 4, dailyLimit: 50_000, usedToday: 1_000 },
  { dailyLimit: 40_000 },
  { priority: 2, maxConcurrency: 3, dailyLimit: 30_000 },
  { priority: 2, dailyLimit: 20_000 },
];

describe('lease under concurrency', () => {
  it(`${PROCESSES} processes x ${CALLERS} callers never exceed a cap or a limit, and count every token once`, async () => {
    const seeded = await seedKeys(db, SPECS);
    const engine = createEngine(redis, db, env.prefix, { settings: SETTINGS });
    await createKeyPool({ db, engine, ring: seeded.ring }).hydrate();
    const files = Array.from({ length: PROCESSES }, (_, i) => join(tmpdir(), `aikeys-${env.id}-${i}.json`));
    const workers = files.map((out) =>
      spawnWorker({
        redisUrl: env.redisUrl,
        databaseUrl: env.databaseUrl,
        prefix: env.prefix,
        masterKey: seeded.ring.primary.bytes.toString('base64'),
        settings: SETTINGS,
        callers: CALLERS,
        rounds: ROUNDS,
        out,
      }),
    );
    await startWhenReady(redis, env.prefix, workers);
    await allDone(workers);

    const events = readEvents(files);
    const rules = new Map<number, KeyRules>(
      seeded.keyIds.map((id, i) => [
        id,
        {
          cap: SPECS[i]!.maxConcurrency ?? null,
          limit: SPECS[i]!.dailyLimit!,
          initialUsed: SPECS[i]!.usedToday ?? 0,
        },
      ]),
    );
    const report = replay(events, rules);
    expect(report.violations).toEqual([]);
    expect(report.grants).toBeGreaterThan(2000);
    expect(events.filter((e) => e.t === 'release' && !e.released)).toEqual([]);
    expect(await redis.hget(engine.keys.meta, 'violations')).toBe('0');
    // The rules were exercised, not just satisfied by accident.
    expect(report.maxInflight.get(seeded.keyIds[0]!)).toBe(1);
    expect(report.maxInflight.get(seeded.keyIds[1]!)).toBe(2);
    expect(Math.max(...report.maxInflight.values())).toBeGreaterThan(4);
    expect(events.some((e) => e.t === 'no_key')).toBe(true);

    const rows = await db('ai_api_keys').select('key_id', 'used_today');
    for (const id of seeded.keyIds) {
      const counted = report.usedTokens.get(id)!;
      const [hot] = await engine.keyStates([id]);
      expect({ id, used: hot!.usedToday, reserved: hot!.reserved, inflight: hot!.inflight }).toEqual({
        id,
        used: counted,
        reserved: 0,
        inflight: 0,
      });
      expect(rows.find((r) => r.key_id === id)!.used_today).toBe(counted);
    }
    for (const accountId of seeded.accountIds.values()) {
      expect((await engine.accountCounters(accountId))!.reserved).toBe(0);
    }
  }, 150_000);
});
