/**
 * A process takes a lease and is killed (SIGKILL) before it can release: its key's capacity and
 * reservation come back by themselves once the lease's TTL has passed, with no sweeper running.
 * Both processes use the same fixed clock, so the TTL boundary is exact and nobody sleeps.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lease } from '../../src/lease/types.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { isolate } from '../setup/isolation.js';
import {
  connectRedis,
  createEngine,
  seedKeys,
  TEST_SETTINGS,
  TestClock,
} from '../integration/lease/fixtures.js';
import { spawnWorker } from '../integration/lease/processes.js';

const env = isolate('lease-crash');
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

describe('a lease holder killed with SIGKILL', () => {
  it('frees its key after the lease TTL', async () => {
    const seeded = await seedKeys(db, [{ maxConcurrency: 1, dailyLimit: 150 }]);
    const clock = new TestClock();
    const settings = { ...TEST_SETTINGS, leaseTtlMs: 60_000 };
    const engine = createEngine(redis, db, env.prefix, { clock: clock.now, settings });
    await engine.hydrate();

    const worker = spawnWorker({
      redisUrl: env.redisUrl,
      databaseUrl: env.databaseUrl,
      prefix: env.prefix,
      masterKey: seeded.ring.primary.bytes.toString('base64'),
      settings,
      callers: 0,
      rounds: 0,
      out: '',
      clockMs: clock.nowMs,
      hold: true,
    });
    const held = JSON.parse(await worker.firstLine) as Lease;
    expect(held).toMatchObject({ keyId: seeded.keyIds[0], inflight: 1, committedTokens: 100 });
    worker.done.catch(() => undefined); // it is meant to die
    const exited = new Promise((resolve) => worker.child.once('exit', (_code, signal) => resolve(signal)));
    worker.child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    clock.advance(60_000 - 1);
    expect(await engine.lease({ provider: 'openai', estimatedTokens: 100 })).toEqual({
      ok: false,
      reason: 'no_key',
      retryAtMs: held.expiresAtMs,
      onlyTriedKeysAvailable: false,
    });
    clock.advance(1);
    const after = await engine.lease({ provider: 'openai', estimatedTokens: 100 });
    // The dead holder's 100 tokens are no longer reserved (the limit is 150) and its slot is free.
    expect(after).toMatchObject({
      ok: true,
      lease: { keyId: seeded.keyIds[0], inflight: 1, committedTokens: 100 },
    });
    // Its call, had it finished, would still be counted on the key: once, as an expired lease's.
    expect(await engine.release({ leaseId: held.leaseId }, { kind: 'success', tokens: 100 })).toEqual({
      released: false,
      reason: 'expired',
      counted: { keyId: seeded.keyIds[0], statusChanged: false },
    });
    expect(await engine.release({ leaseId: held.leaseId }, { kind: 'success', tokens: 100 })).toEqual({
      released: false,
      reason: 'unknown',
    });
  });
});
