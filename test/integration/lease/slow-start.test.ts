/**
 * Slow start: a key that has not succeeded since it entered service, or that failed since its last
 * success, gets one call in flight until a call on it succeeds, whatever its concurrency cap.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LeaseEngine } from '../../../src/lease/engine.js';
import type { Lease, LeaseResult } from '../../../src/lease/types.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { isolate } from '../../setup/isolation.js';

/** SLOW_START_POLL_MS in lua/includes/lease-request.lua. */
const SLOW_START_POLL_MS = 500;
import { connectRedis, createEngine, seedKeys, TestClock, type KeySpec } from './fixtures.js';

const env = isolate('lease-slow-start');
let db: Db;
let redis: Redis;
const clock = new TestClock();

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

async function setup(specs: KeySpec[]): Promise<{ engine: LeaseEngine; ids: number[] }> {
  const seeded = await seedKeys(db, specs);
  const engine = createEngine(redis, db, env.prefix, { clock: clock.now });
  await engine.hydrate();
  return { engine, ids: seeded.keyIds };
}

/** n leases asked for at once (the engine serves them in one or two script calls). */
async function leaseMany(engine: LeaseEngine, n: number): Promise<LeaseResult[]> {
  return Promise.all(
    Array.from({ length: n }, () => engine.lease({ provider: 'openai', estimatedTokens: 10 })),
  );
}

const granted = (results: LeaseResult[]): Lease[] => results.flatMap((r) => (r.ok ? [r.lease] : []));
const onKey = (results: LeaseResult[], keyId: number): Lease[] =>
  granted(results).filter((l) => l.keyId === keyId);

describe('slow start', () => {
  it('gives a new key one call of 16 asked at once, and its cap once a call on it succeeded', async () => {
    const { engine, ids } = await setup([{ proven: false }, { proven: true }]);
    const [fresh, known] = ids as [number, number];
    const first = await leaseMany(engine, 16);
    expect(onKey(first, fresh)).toHaveLength(1);
    expect(onKey(first, known)).toHaveLength(15);
    const [state] = await engine.keyStates([fresh]);
    expect(state).toMatchObject({ inflight: 1, proven: false });

    // Still one while its first call runs; a failure keeps it at one.
    expect(onKey(await leaseMany(engine, 16), fresh)).toHaveLength(0);
    await engine.release(onKey(first, fresh)[0]!, { kind: 'request_error', status: 400 });
    const second = await leaseMany(engine, 16);
    expect(onKey(second, fresh)).toHaveLength(1);
    await engine.release(onKey(second, fresh)[0]!, { kind: 'success', tokens: 10 });
    expect((await engine.keyStates([fresh]))[0]!.proven).toBe(true);
    // Proven: the cap (none) applies, so it takes its share of the next burst.
    expect(onKey(await leaseMany(engine, 16), fresh).length).toBeGreaterThan(1);
  });

  it('holds a lone new key to one call in flight: the others are told no key can serve', async () => {
    const { engine, ids } = await setup([{ proven: false, maxConcurrency: 8 }]);
    const results = await leaseMany(engine, 16);
    expect(onKey(results, ids[0]!)).toHaveLength(1);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(15);
    // Its release frees it, usually long before its lease expires: they are told to ask again soon.
    for (const r of refused)
      expect(r).toMatchObject({ reason: 'no_key', retryAtMs: clock.nowMs + SLOW_START_POLL_MS });
    await engine.release(granted(results)[0]!, { kind: 'request_error', status: 400 });
    const again = granted(await leaseMany(engine, 2))[0]!;
    const [, waiting] = await leaseMany(engine, 2);
    expect(waiting).toMatchObject({ ok: false, retryAtMs: clock.nowMs + SLOW_START_POLL_MS });
    await engine.release(again, { kind: 'success', tokens: 1 });
    // Proven, at its cap of 8, no slow-start call in flight: the hint is the next lease expiry again.
    const full = await leaseMany(engine, 9);
    expect(granted(full)).toHaveLength(8);
    expect(full.find((r) => !r.ok)).toMatchObject({ retryAtMs: granted(full)[0]!.expiresAtMs });
  });

  it('holds a key that failed since its last success to one call, until a success', async () => {
    const { engine, ids } = await setup([{ proven: true }]);
    const key = ids[0]!;
    const burst = await leaseMany(engine, 4);
    expect(onKey(burst, key)).toHaveLength(4);
    await engine.release(granted(burst)[0]!, { kind: 'server_error', status: 500 });
    // Three still in flight and one failure: nothing more until they are back.
    expect(onKey(await leaseMany(engine, 4), key)).toHaveLength(0);
    for (const l of granted(burst).slice(1)) await engine.release(l, { kind: 'request_error', status: 400 });
    const probe = await leaseMany(engine, 4);
    expect(onKey(probe, key)).toHaveLength(1);
    await engine.release(onKey(probe, key)[0]!, { kind: 'success', tokens: 1 });
    expect(onKey(await leaseMany(engine, 4), key)).toHaveLength(4);
  });

  it('takes the proof away when an operator enables a key or its breaker disables it', async () => {
    const { engine, ids } = await setup([{ proven: true }]);
    const key = ids[0]!;
    expect((await engine.keyStates([key]))[0]!.proven).toBe(true);
    await engine.disable(key, 'maintenance');
    await engine.enable(key);
    expect((await engine.keyStates([key]))[0]!.proven).toBe(false);
    expect(onKey(await leaseMany(engine, 4), key)).toHaveLength(1);
  });

  it('hydrates after a Redis loss as proven only keys with a last use and no failure since', async () => {
    const { engine, ids } = await setup([{ proven: true }, { proven: true }, { proven: false }]);
    const [working, failing, unused] = ids as [number, number, number];
    await db('ai_api_keys').where({ key_id: failing }).update({ consecutive_failures: 1 });
    await env.flushRedis();
    await engine.hydrate();
    const states = await engine.keyStates(ids);
    expect(states.map((s) => [s.keyId, s.proven])).toEqual([
      [working, true],
      [failing, false],
      [unused, false],
    ]);
  });

  it('starts a key an import brings back from disabled unproven, and keeps other keys as Redis has them', async () => {
    const { engine, ids } = await setup([
      { proven: true, status: 'disabled', disabledKind: 'manual' },
      { proven: true },
    ]);
    const [revived, running] = ids as [number, number];
    const l = granted(await leaseMany(engine, 1))[0]!;
    expect(l.keyId).toBe(running);
    await engine.release(l, { kind: 'success', tokens: 1 });
    await db('ai_api_keys')
      .where({ key_id: revived })
      .update({ status: 'active', disabled_kind: null, disabled_reason: null });
    await engine.hydrate(); // a merge: the state is there
    const states = await engine.keyStates(ids);
    expect(states.map((s) => [s.keyId, s.status, s.proven])).toEqual([
      [revived, 'active', false],
      [running, 'active', true],
    ]);
  });
});
