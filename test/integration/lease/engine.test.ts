import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_REASON_LENGTH, type LeaseEngine } from '../../../src/lease/engine.js';
import type { Lease, LeaseResult } from '../../../src/lease/types.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { usageStreamKey } from '../../../src/usage/usage-stream.js';
import { leaseLibrary } from '../../../src/lease/script-loader.js';
import { isolate } from '../../setup/isolation.js';
import {
  connectRedis,
  createEngine,
  seedKeys,
  TestClock,
  type AccountSpec,
  type KeySpec,
} from './fixtures.js';

const env = isolate('lease-engine');
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

async function setup(specs: KeySpec[], accounts: Record<string, AccountSpec> = {}, settings = {}) {
  const seeded = await seedKeys(db, specs, accounts);
  const engine = createEngine(redis, db, env.prefix, { clock: clock.now, settings });
  await engine.hydrate();
  return { engine, ids: seeded.keyIds };
}

function leased(result: LeaseResult): Lease {
  if (!result.ok) throw new Error(`expected a lease, got ${result.reason}`);
  return result.lease;
}

async function leaseKey(engine: LeaseEngine, estimatedTokens = 100, model?: string): Promise<number> {
  return leased(await engine.lease({ provider: 'openai', model, estimatedTokens })).keyId;
}

describe('lease: choice', () => {
  it('prefers the primary account, then the lowest used_today, then the least recently leased', async () => {
    const { engine, ids } = await setup([
      { priority: 2, usedToday: 0 },
      { priority: 1, usedToday: 500 },
      { priority: 1, usedToday: 200 },
      { priority: 1, usedToday: 200 },
    ]);
    const [fallback, busy, a, b] = ids as [number, number, number, number];
    // a and b tie at 200: a was never leased before b (snapshot order), then b is the less recent.
    expect(await leaseKey(engine, 10)).toBe(a);
    expect(await leaseKey(engine, 10)).toBe(b);
    // Reservations count: a = 210, b = 210, busy = 500.
    expect(await leaseKey(engine, 10)).toBe(a);
    expect([busy, fallback]).not.toContain(await leaseKey(engine, 10));
  });

  it('restricts to the requested model and falls back to AI_FALLBACK_MODEL, saying which', async () => {
    const { engine, ids } = await setup([
      { model: 'gpt-4-turbo', dailyLimit: 1000 },
      { model: 'gpt-3.5-turbo', priority: 2 },
    ]);
    const first = leased(
      await engine.lease({ provider: 'openai', model: 'gpt-4-turbo', estimatedTokens: 900 }),
    );
    expect(first).toMatchObject({ keyId: ids[0], model: 'gpt-4-turbo' });
    const second = leased(
      await engine.lease({ provider: 'openai', model: 'gpt-4-turbo', estimatedTokens: 900 }),
    );
    expect(second).toMatchObject({ keyId: ids[1], model: 'gpt-3.5-turbo' });
    expect((await engine.lease({ provider: 'openai', model: 'o3', estimatedTokens: 1 })).ok).toBe(true);
    expect(await engine.lease({ provider: 'anthropic', estimatedTokens: 1 })).toMatchObject({
      ok: false,
      reason: 'no_key',
    });
  });

  it('skips disabled, exhausted and blocked keys, and says when the first block ends', async () => {
    const until = new Date(clock.nowMs + 60_000);
    const { engine, ids } = await setup([
      { status: 'disabled', disabledKind: 'manual' },
      { status: 'exhausted' },
      { status: 'temporarily_blocked', blockUntil: until },
      {},
    ]);
    expect(await leaseKey(engine)).toBe(ids[3]);
    await engine.disable(ids[3]!, 'by hand');
    const none = await engine.lease({ provider: 'openai', estimatedTokens: 1 });
    expect(none).toEqual({
      ok: false,
      reason: 'no_key',
      retryAtMs: until.getTime(),
      onlyTriedKeysAvailable: false,
    });
    clock.advance(60_000);
    expect(await leaseKey(engine)).toBe(ids[2]);
  });

  it('counts a block whose time has passed as ended', async () => {
    const { engine, ids } = await setup([
      { status: 'temporarily_blocked', blockUntil: new Date(clock.nowMs + 60_000) },
      { status: 'temporarily_blocked', blockUntil: new Date(clock.nowMs - 1) },
    ]);
    expect(await leaseKey(engine)).toBe(ids[1]);
  });

  it('skips keys without room for the estimate, accounts over quota or budget, and keys at their cap', async () => {
    const { engine, ids } = await setup(
      [
        { dailyLimit: 1000, usedToday: 950 },
        { dailyLimit: 5000, usedToday: 960, maxConcurrency: 1 },
        { priority: 2, dailyLimit: 100_000 },
      ],
      { 'openai:2': { dailyQuota: 1000 } },
    );
    // key 1 has 50 left, key 2 (deeper in the set) has room: the look-ahead finds it.
    const l = leased(await engine.lease({ provider: 'openai', estimatedTokens: 100 }));
    expect(l).toMatchObject({ keyId: ids[1], inflight: 1 });
    // key 2 is at its cap; the fallback account's quota (1000) has room for 600 only once.
    expect(await leaseKey(engine, 600)).toBe(ids[2]);
    expect((await engine.lease({ provider: 'openai', estimatedTokens: 600 })).ok).toBe(false);
    expect(await leaseKey(engine, 40)).toBe(ids[0]);
    await engine.release(l, { kind: 'request_error', status: 400 });
    expect(await leaseKey(engine, 100)).toBe(ids[1]);
  });

  it('never leases an excluded key and says when only excluded keys could serve', async () => {
    const { engine, ids } = await setup([{}, {}]);
    expect(
      await engine.lease({ provider: 'openai', estimatedTokens: 1, excludeKeyIds: [ids[0]!] }),
    ).toMatchObject({
      ok: true,
      lease: { keyId: ids[1] },
    });
    expect(await engine.lease({ provider: 'openai', estimatedTokens: 1, excludeKeyIds: ids })).toMatchObject({
      ok: false,
      onlyTriedKeysAvailable: true,
    });
  });

  it('skips an account past its monthly budget', async () => {
    const { engine, ids } = await setup([{}, { priority: 2 }], { 'openai:1': { monthlyBudget: 1 } });
    const l = leased(await engine.lease({ provider: 'openai', estimatedTokens: 10 }));
    expect(l.keyId).toBe(ids[0]);
    await engine.release(l, { kind: 'success', tokens: 10, costUsd: 1.5 });
    expect(await leaseKey(engine)).toBe(ids[1]);
  });
});

describe('release', () => {
  it('reconciles the reservation to the actual tokens and counts once', async () => {
    const { engine, ids } = await setup([{ dailyLimit: 1000 }]);
    const l = leased(await engine.lease({ provider: 'openai', estimatedTokens: 300 }));
    expect(l.committedTokens).toBe(300);
    const r = await engine.release(l, { kind: 'success', tokens: 120 });
    expect(r).toEqual({
      released: true,
      seq: expect.any(Number),
      keyId: ids[0],
      statusChanged: false,
      providerEvent: null,
    });
    expect((await engine.keyStates([ids[0]!]))[0]).toMatchObject({
      usedToday: 120,
      reserved: 0,
      inflight: 0,
      lastUsedAtMs: clock.nowMs,
    });
    expect(await engine.release(l, { kind: 'success', tokens: 120 })).toEqual({
      released: false,
      reason: 'unknown',
    });
    const l2 = leased(await engine.lease({ provider: 'openai', estimatedTokens: 880 }));
    expect((await engine.release(l2, { kind: 'success', tokens: 880 })) as object).toMatchObject({
      statusChanged: true,
      key: { status: 'exhausted', usedToday: 1000 },
    });
  });

  it('an expired lease gives its capacity back by itself', async () => {
    const { engine, ids } = await setup([{ dailyLimit: 1000, maxConcurrency: 1 }], {}, { leaseTtlMs: 5000 });
    leased(await engine.lease({ provider: 'openai', estimatedTokens: 1000 }));
    expect((await engine.lease({ provider: 'openai', estimatedTokens: 1 })).ok).toBe(false);
    clock.advance(5000);
    const again = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1000 }));
    expect(again.keyId).toBe(ids[0]);
    expect((await engine.keyStates([ids[0]!]))[0]).toMatchObject({ reserved: 1000, inflight: 1 });
  });

  it("a late release of an expired lease still counts a success's tokens, once", async () => {
    const { engine, ids } = await setup([{ dailyLimit: 1000, maxConcurrency: 1 }], {}, { leaseTtlMs: 5000 });
    const keyId = ids[0]!;
    const l = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1000 }));
    expect((await engine.lease({ provider: 'openai', estimatedTokens: 1 })).ok).toBe(false);
    clock.advance(5000);
    // Reclaimed by this lease's call; the release that comes later finds it remembered.
    const again = leased(await engine.lease({ provider: 'openai', estimatedTokens: 600 }));
    expect(again.keyId).toBe(keyId);
    const counted = { released: false, reason: 'expired', counted: { keyId, statusChanged: false } };
    expect(await engine.release(l, { kind: 'success', tokens: 400 })).toEqual(counted);
    expect(await engine.release(l, { kind: 'success', tokens: 400 })).toEqual({
      released: false,
      reason: 'unknown',
    });
    // Still open past its expiry when released: also counted.
    clock.advance(5000);
    expect(await engine.release(again, { kind: 'success', tokens: 300 })).toEqual(counted);
    expect((await engine.keyStates([keyId]))[0]).toMatchObject({ usedToday: 700, reserved: 0, inflight: 0 });
    // Only a success counts late (a late failure says nothing about the key now).
    const failed = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 }));
    clock.advance(5000);
    expect(await engine.release(failed, { kind: 'server_error', status: 500 })).toEqual({
      released: false,
      reason: 'expired',
      counted: null,
    });
    // A late success that reaches the daily limit exhausts the key, and says so for Postgres.
    const last = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 }));
    clock.advance(5000);
    expect(await engine.release(last, { kind: 'success', tokens: 300 })).toMatchObject({
      released: false,
      reason: 'expired',
      counted: { keyId, statusChanged: true, key: { status: 'exhausted', usedToday: 1000 } },
    });
  });

  it("releasing an expired lease gives back its own reservation once, not the key's other lease", async () => {
    const { engine, ids } = await setup([{ dailyLimit: 1000 }], {}, { leaseTtlMs: 5000 });
    const first = leased(await engine.lease({ provider: 'openai', estimatedTokens: 300 }));
    clock.advance(3000);
    const second = leased(await engine.lease({ provider: 'openai', estimatedTokens: 200 }));
    expect(second.keyId).toBe(ids[0]);
    clock.advance(2000);
    expect(await engine.release(first, { kind: 'success', tokens: 300 })).toEqual({
      released: false,
      reason: 'expired',
      counted: { keyId: ids[0], statusChanged: false },
    });
    expect((await engine.keyStates([ids[0]!]))[0]).toMatchObject({
      usedToday: 300,
      reserved: 200,
      inflight: 1,
    });
    await engine.release(second, { kind: 'success', tokens: 150 });
    expect((await engine.keyStates([ids[0]!]))[0]).toMatchObject({
      usedToday: 450,
      reserved: 0,
      inflight: 0,
    });
  });

  it('a rate limit without Retry-After blocks the key for AI_BLOCK_SECONDS', async () => {
    const { engine, ids } = await setup([{}]);
    const a = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 }));
    expect(await engine.release(a, { kind: 'rate_limited' })).toMatchObject({
      statusChanged: true,
      key: { status: 'temporarily_blocked', blockUntilMs: clock.nowMs + 1_800_000 },
    });
    expect((await engine.lease({ provider: 'openai', estimatedTokens: 1 })).ok).toBe(false);
    clock.advance(1_800_000);
    expect(await leaseKey(engine)).toBe(ids[0]);
  });

  it('a rate limit with Retry-After blocks the key until then', async () => {
    const { engine, ids } = await setup([{}]);
    const a = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 }));
    expect(await engine.release(a, { kind: 'rate_limited', retryAfterMs: 1000 })).toMatchObject({
      statusChanged: true,
      key: { status: 'temporarily_blocked', blockUntilMs: clock.nowMs + 1000 },
    });
    clock.advance(1000);
    expect(await leaseKey(engine)).toBe(ids[0]);
  });

  it('of two blocks on one key, the later end wins', async () => {
    const { engine, ids } = await setup([{}]);
    const a = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 }));
    const b = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 }));
    const ra = await engine.release(a, { kind: 'rate_limited' });
    expect(ra).toMatchObject({
      statusChanged: true,
      key: { status: 'temporarily_blocked', blockUntilMs: clock.nowMs + 1_800_000 },
    });
    const rb = await engine.release(b, { kind: 'rate_limited', retryAfterMs: 1000 });
    expect(rb).toMatchObject({ statusChanged: false, keyId: ids[0] });
    expect((await engine.keyStates([ids[0]!]))[0]).toMatchObject({ blockUntilMs: clock.nowMs + 1_800_000 });
    await engine.block(ids[0]!, 10);
    clock.advance(1_800_000);
    expect(await leaseKey(engine)).toBe(ids[0]);
  });

  it('an auth failure disables the key at once', async () => {
    const { engine } = await setup([{}]);
    const l = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 }));
    expect(await engine.release(l, { kind: 'auth_failed', status: 401 })).toMatchObject({
      statusChanged: true,
      key: { status: 'disabled', disabledKind: 'invalid_key', disabledReason: 'invalid key (HTTP 401)' },
    });
  });

  it('a quota failure marks the key exhausted', async () => {
    const { engine } = await setup([{}]);
    const l = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 }));
    expect(await engine.release(l, { kind: 'quota_exhausted' })).toMatchObject({
      statusChanged: true,
      key: { status: 'exhausted' },
    });
  });

  it('a request error costs the key nothing', async () => {
    const { engine, ids } = await setup([{}]);
    const l = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 }));
    expect(await engine.release(l, { kind: 'request_error', status: 400 })).toMatchObject({
      statusChanged: false,
      keyId: ids[0],
    });
    expect((await engine.keyStates([ids[0]!]))[0]).toMatchObject({
      status: 'active',
      consecutiveFailures: 0,
      usedToday: 0,
      reserved: 0,
      inflight: 0,
    });
  });
});

describe('breakers', () => {
  it('disables a key after N consecutive failures, probes it later, and returns it on success', async () => {
    const { engine, ids } = await setup([{}, {}]);
    const [bad, good] = ids as [number, number];
    for (let i = 1; i <= 3; i++) {
      const l = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1, excludeKeyIds: [good] }));
      const r = await engine.release(l, { kind: 'server_error', status: 500 });
      // the other key keeps succeeding: the failures are this key's, not the provider's
      const ok = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1, excludeKeyIds: [bad] }));
      await engine.release(ok, { kind: 'success', tokens: 1 });
      if (i === 3)
        expect(r).toMatchObject({
          statusChanged: true,
          key: { status: 'disabled', disabledKind: 'breaker', disabledReason: '3 consecutive failures' },
        });
    }
    expect((await engine.lease({ provider: 'openai', estimatedTokens: 1, excludeKeyIds: [good] })).ok).toBe(
      false,
    );
    clock.advance(300_000);
    const probe = leased(
      await engine.lease({ provider: 'openai', estimatedTokens: 1, excludeKeyIds: [good] }),
    );
    expect(probe).toMatchObject({ keyId: bad, keyProbe: true });
    // one probe at a time
    expect((await engine.lease({ provider: 'openai', estimatedTokens: 1, excludeKeyIds: [good] })).ok).toBe(
      false,
    );
    const back = await engine.release(probe, { kind: 'success', tokens: 1 });
    expect(back).toMatchObject({
      statusChanged: true,
      key: { status: 'active', disabledKind: null, consecutiveFailures: 0 },
    });
  });

  it('a manual or invalid-key disable never comes back by itself', async () => {
    const { engine, ids } = await setup([{}]);
    await engine.disable(ids[0]!, 'by hand', 'manual');
    clock.advance(10 * 300_000);
    expect((await engine.lease({ provider: 'openai', estimatedTokens: 1 })).ok).toBe(false);
    await engine.enable(ids[0]!);
    expect(await leaseKey(engine)).toBe(ids[0]);
  });

  it("keeps an operator's reason as written, within MAX_REASON_LENGTH characters and without NULs", async () => {
    const { engine, ids } = await setup([{}, {}, {}]);
    await engine.disable(ids[0]!, 'rotated — see ticket «OPS-12»');
    await engine.disable(ids[1]!, 'x'.repeat(MAX_REASON_LENGTH + 50));
    await engine.disable(ids[2]!, 'pasted\u0000text');
    const [first, second, third] = await engine.keyStates(ids);
    expect(first!.disabledReason).toBe('rotated — see ticket «OPS-12»');
    expect(second!.disabledReason).toBe('x'.repeat(MAX_REASON_LENGTH));
    expect(third!.disabledReason).toBe('pastedtext');
  });
  it('an outage across keys pauses the provider instead of disabling keys, then lets one probe through', async () => {
    const { engine } = await setup([{}, {}, {}]);
    let opened = false;
    for (let i = 0; i < 9 && !opened; i++) {
      const l = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 }));
      const r = await engine.release(l, { kind: 'server_error', status: 503 });
      if (r.released) {
        expect(r.statusChanged).toBe(false);
        opened = r.providerEvent === 'opened';
      }
      const [state] = await engine.keyStates([l.keyId]);
      expect(state!.status).toBe('active');
    }
    expect(opened).toBe(true);
    const paused = await engine.lease({ provider: 'openai', estimatedTokens: 1 });
    expect(paused).toEqual({
      ok: false,
      reason: 'provider_paused',
      retryAtMs: clock.nowMs + 30_000,
      onlyTriedKeysAvailable: false,
    });
    clock.advance(30_000);
    const probe = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 }));
    expect(probe.providerProbe).toBe(true);
    expect(await engine.lease({ provider: 'openai', estimatedTokens: 1 })).toMatchObject({
      ok: false,
      reason: 'provider_paused',
    });
    expect(await engine.release(probe, { kind: 'server_error', status: 503 })).toMatchObject({
      providerEvent: 'reopened',
    });
    clock.advance(30_000);
    const probe2 = leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 }));
    expect(await engine.release(probe2, { kind: 'success', tokens: 5 })).toMatchObject({
      providerEvent: 'closed',
    });
    expect((await engine.lease({ provider: 'openai', estimatedTokens: 1 })).ok).toBe(true);
  });
});

describe('state', () => {
  it('rebuilds from Postgres when Redis lost it, and reloads the function library Redis forgot', async () => {
    const { engine, ids } = await setup([{ usedToday: 70 }]);
    expect(await env.flushRedis()).toBeGreaterThan(0);
    const l = leased(await engine.lease({ provider: 'openai', estimatedTokens: 30 }));
    expect(l).toMatchObject({ keyId: ids[0], committedTokens: 100 });
    await redis.call('FUNCTION', 'DELETE', leaseLibrary().name);
    expect(await engine.release(l, { kind: 'success', tokens: 30 })).toMatchObject({ released: true });
    expect((await engine.keyStates([ids[0]!]))[0]).toMatchObject({ usedToday: 100 });
  });

  it('resets daily counters and returns exhausted keys', async () => {
    const { engine, ids } = await setup([{ dailyLimit: 10, usedToday: 10, status: 'exhausted' }]);
    expect((await engine.lease({ provider: 'openai', estimatedTokens: 1 })).ok).toBe(false);
    expect(await engine.resetDaily()).toBe(1);
    expect(await leaseKey(engine, 10)).toBe(ids[0]);
  });
});

describe('release: the usage record goes in the same step', () => {
  const stream = () => usageStreamKey(env.prefix);
  const entries = async () => (await redis.xrange(stream(), '-', '+')).map(([, fields]) => fields);

  it('appends the entry with a counted release, and also when the lease had expired or was unknown', async () => {
    const { engine, ids } = await setup([{}], {}, { leaseTtlMs: 1000 });
    const counted = leased(await engine.lease({ provider: 'openai', estimatedTokens: 10 }));
    const late = leased(await engine.lease({ provider: 'openai', estimatedTokens: 10 }));
    const append = (entry: string) => ({ stream: stream(), entry });

    expect(await engine.release(counted, { kind: 'success', tokens: 7 }, append('counted'))).toMatchObject({
      released: true,
    });
    expect((await engine.keyStates([ids[0]!]))[0]).toMatchObject({ usedToday: 7 });
    clock.advance(1000);
    expect(await engine.release(late, { kind: 'success', tokens: 5 }, append('late'))).toEqual({
      released: false,
      reason: 'expired',
      counted: { keyId: ids[0], statusChanged: false },
    });
    expect(
      await engine.release({ leaseId: 'nobody' }, { kind: 'success', tokens: 3 }, append('unknown')),
    ).toEqual({ released: false, reason: 'unknown' });
    await engine.release(leased(await engine.lease({ provider: 'openai', estimatedTokens: 1 })), {
      kind: 'success',
      tokens: 1,
    });

    // The calls happened whatever became of their leases; the counted and the late one count on
    // the key (the late one's reservation came back at expiry), the unknown one does not.
    expect(await entries()).toEqual([
      ['r', 'counted'],
      ['r', 'late'],
      ['r', 'unknown'],
    ]);
    expect((await engine.keyStates([ids[0]!]))[0]!.usedToday).toBe(13);
  });
});
