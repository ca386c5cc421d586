/**
 * Model-based test: random sequences of leases, releases (every outcome), admin operations, clock
 * moves and daily resets run against the Lua engine and against a plain TypeScript model of the rules
 * (test/unit/lease/reference-model.ts). Every choice and every key's state must agree after every step.
 */
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeaseEngine } from '../../../src/lease/engine.js';
import type { ReleaseOutcome } from '../../../src/lease/outcome.js';
import type { LeaseResult, LeaseSettings, ReleaseResult } from '../../../src/lease/types.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { isolate } from '../../setup/isolation.js';
import { ReferenceModel, type MKey } from '../../unit/lease/reference-model.js';
import { connectRedis, createEngine, seedKeys, TEST_SETTINGS, type KeySpec } from './fixtures.js';

const env = isolate('lease-model');
let db: Db;
let redis: Redis;
let engine: LeaseEngine;
let keyIds: number[] = [];
let accountIds: number[] = [];
const START = 1_760_000_000_000;
let now = START;

const SETTINGS: LeaseSettings = {
  ...TEST_SETTINGS,
  leaseTtlMs: 30_000,
  circuitBreakerThreshold: 2,
  blockSeconds: 100,
  keyProbeAfterMs: 50_000,
  providerCooldownMs: 10_000,
  fallbackModel: 'B',
};
// Never used: every key starts in slow start (one call at a time until a success proves it).
const SPECS: KeySpec[] = [
  { model: 'A', dailyLimit: 1000, maxConcurrency: 1, proven: false },
  { model: 'A', dailyLimit: 1500, maxConcurrency: 2, proven: false },
  { model: 'B', dailyLimit: 800, proven: false },
  { priority: 2, model: 'B', dailyLimit: 3000, proven: false },
  { priority: 2, model: 'A', dailyLimit: 600, maxConcurrency: 1, proven: false },
];
const PRIMARY_QUOTA = 2500;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = connectRedis(env.redisUrl);
  const seeded = await seedKeys(db, SPECS, {
    'openai:1': { dailyQuota: PRIMARY_QUOTA },
    'openai:2': { monthlyBudget: 0.05 },
  });
  keyIds = seeded.keyIds;
  accountIds = [seeded.accountIds.get('openai:1')!, seeded.accountIds.get('openai:2')!];
  engine = createEngine(redis, db, env.prefix, { clock: () => now, settings: SETTINGS });
});

afterAll(async () => {
  redis.disconnect();
  await db.destroy();
  await env.cleanup();
});

function freshModel(): ReferenceModel {
  const keys: MKey[] = SPECS.map((s, i) => ({
    id: keyIds[i]!,
    provider: 'openai',
    model: s.model!,
    account: accountIds[(s.priority ?? 1) - 1]!,
    limit: s.dailyLimit!,
    cap: s.maxConcurrency ?? null,
    used: 0,
    reserved: 0,
    inflight: 0,
    status: 'active',
    kind: '',
    reason: '',
    blockUntil: 0,
    failures: 0,
    probeAt: 0,
    probing: false,
    proven: false,
    order: i + 1,
  }));
  return new ReferenceModel(
    SETTINGS,
    keys,
    [
      {
        id: accountIds[0]!,
        provider: 'openai',
        priority: 1,
        quota: PRIMARY_QUOTA,
        budget: null,
        used: 0,
        reserved: 0,
        spent: 0,
      },
      {
        id: accountIds[1]!,
        provider: 'openai',
        priority: 2,
        quota: null,
        budget: 0.05,
        used: 0,
        reserved: 0,
        spent: 0,
      },
    ],
    now,
  );
}

const keyIndex = fc.integer({ min: 0, max: SPECS.length - 1 });
const outcomeWith = (successWeight: number, serverErrorWeight: number): fc.Arbitrary<ReleaseOutcome> =>
  fc.oneof(
    {
      weight: successWeight,
      arbitrary: fc.record({
        kind: fc.constant('success' as const),
        tokens: fc.constantFrom(0, 1, 50, 200, 400, 700),
        costUsd: fc.constantFrom(0, 0.01),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('rate_limited' as const),
        retryAfterMs: fc.option(fc.integer({ min: 0, max: 200_000 }), { nil: undefined }),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'auth_failed' as const, status: 401 }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'quota_exhausted' as const }) },
    { weight: serverErrorWeight, arbitrary: fc.constant({ kind: 'server_error' as const, status: 503 }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'request_error' as const, status: 400 }) },
  );
type LeaseOp = { t: 'lease'; model: string | undefined; est: number; exclude: number[] };
type ReleaseOp = { t: 'release'; pick: number; outcome: ReleaseOutcome };
type Op =
  | LeaseOp
  | ReleaseOp
  | { t: 'block'; key: number; ms: number }
  | { t: 'unblock' | 'enable'; key: number }
  | { t: 'disable'; key: number; kind: 'manual' | 'breaker' }
  | { t: 'burst'; leases: LeaseOp[]; releases: ReleaseOp[] }
  | { t: 'advance'; ms: number }
  | { t: 'reset' | 'unblockExpired' };
const leaseOp: fc.Arbitrary<LeaseOp> = fc.record({
  t: fc.constant('lease' as const),
  model: fc.constantFrom(undefined, 'A', 'B', 'C'),
  est: fc.constantFrom(0, 1, 10, 100, 300, 599, 1000),
  exclude: fc.subarray([0, 1, 2, 3, 4]),
});
const releaseOp = (outcome: fc.Arbitrary<ReleaseOutcome>): fc.Arbitrary<ReleaseOp> =>
  fc.record({ t: fc.constant('release' as const), pick: fc.nat(), outcome });
const opWith = (outcome: fc.Arbitrary<ReleaseOutcome>): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 8, arbitrary: leaseOp },
    { weight: 7, arbitrary: releaseOp(outcome) },
    {
      // Callers asking at once: the engine sends their leases as one script call and their releases
      // as another, which must act exactly as the same calls one after another.
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('burst' as const),
        leases: fc.array(leaseOp, { maxLength: 6 }),
        releases: fc.array(releaseOp(outcome), { maxLength: 6 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('block' as const),
        key: keyIndex,
        ms: fc.integer({ min: 0, max: 200_000 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constantFrom('unblock' as const, 'enable' as const), key: keyIndex }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('disable' as const),
        key: keyIndex,
        kind: fc.constantFrom('manual' as const, 'breaker' as const),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60_000 }) }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('reset' as const, 'unblockExpired' as const) }) },
  );

async function compareKeys(model: ReferenceModel, step: string): Promise<void> {
  const states = await engine.keyStates(keyIds);
  const actual = states.map((s) => ({
    id: s.keyId,
    status: s.status,
    kind: s.disabledKind ?? '',
    reason: s.disabledReason ?? '',
    used: s.usedToday,
    reserved: s.reserved,
    inflight: s.inflight,
    failures: s.consecutiveFailures,
    blockUntil: s.blockUntilMs ?? 0,
    probeAt: s.probeAtMs ?? 0,
    proven: s.proven,
  }));
  const expected = [...model.keys.values()].map((k) => ({
    id: k.id,
    status: k.status,
    kind: k.kind,
    reason: k.reason,
    used: k.used,
    reserved: k.reserved,
    inflight: k.inflight,
    failures: k.failures,
    blockUntil: k.blockUntil,
    probeAt: k.probeAt,
    proven: k.proven,
  }));
  expect(actual, step).toEqual(expected);
}

async function run(ops: Op[]): Promise<void> {
  now = START;
  await env.flushRedis();
  await engine.hydrate();
  const model = freshModel();
  const issued: string[] = [];
  const startLease = (o: LeaseOp) =>
    engine.lease({
      provider: 'openai',
      model: o.model,
      estimatedTokens: o.est,
      excludeKeyIds: o.exclude.map((x) => keyIds[x]!),
    });
  const checkLease = (o: LeaseOp, actual: LeaseResult, step: string) => {
    const exclude = o.exclude.map((x) => keyIds[x]!);
    const expected = model.lease('openai', o.model, o.est, exclude, () =>
      actual.ok ? actual.lease.leaseId : 'none',
    );
    if (actual.ok) {
      issued.push(actual.lease.leaseId);
      const { keyId, model: m, keyProbe, providerProbe, expiresAtMs } = actual.lease;
      expect({ ok: true, keyId, model: m, keyProbe, providerProbe, expires: expiresAtMs }, step).toEqual(
        expected,
      );
    } else {
      expect({ ok: actual.ok, reason: actual.reason, only: actual.onlyTriedKeysAvailable }, step).toEqual(
        expected.ok
          ? expected
          : { ok: false, reason: expected.reason, only: expected.onlyTriedKeysAvailable },
      );
      if (!expected.ok && expected.reason === 'provider_paused')
        expect(actual.retryAtMs, step).toBe(expected.retryAtMs);
      // The engine's hint is never later than the true earliest moment.
      if (!expected.ok && expected.retryAtMs !== null) expect(actual.retryAtMs, step).not.toBeNull();
      if (!expected.ok && expected.retryAtMs !== null)
        expect(actual.retryAtMs!, step).toBeLessThanOrEqual(expected.retryAtMs);
    }
  };
  // Mostly a lease still open; one in five any lease ever issued (released, expired or open).
  const pickLease = (o: ReleaseOp): string | undefined => {
    const open = [...model.leases.keys()];
    const from = o.pick % 5 === 0 || open.length === 0 ? issued : open;
    return from.length === 0 ? undefined : from[Math.floor(o.pick / 5) % from.length]!;
  };
  const checkRelease = (leaseId: string, o: ReleaseOp, actual: ReleaseResult, step: string) => {
    const expected = model.release(leaseId, o.outcome);
    expect(actual.released ? 'released' : actual.reason, step).toBe(expected);
  };
  for (const [i, o] of ops.entries()) {
    const step = `step ${i}: ${JSON.stringify(o)}`;
    switch (o.t) {
      case 'lease':
        checkLease(o, await startLease(o), step);
        break;
      case 'release': {
        const leaseId = pickLease(o);
        if (leaseId === undefined) continue;
        checkRelease(leaseId, o, await engine.release({ leaseId }, o.outcome), step);
        break;
      }
      case 'burst': {
        // Releases pick among the leases open before the burst; all calls start in one tick.
        const picked = o.releases.map((r) => pickLease(r));
        const leases = o.leases.map(startLease);
        const releases = o.releases.map((r, j) =>
          picked[j] === undefined
            ? Promise.resolve(undefined)
            : engine.release({ leaseId: picked[j] }, r.outcome),
        );
        const leaseResults = await Promise.all(leases);
        const releaseResults = await Promise.all(releases);
        o.leases.forEach((l, j) => checkLease(l, leaseResults[j]!, `${step} lease ${j}`));
        o.releases.forEach((r, j) => {
          if (picked[j] !== undefined) checkRelease(picked[j], r, releaseResults[j]!, `${step} release ${j}`);
        });
        break;
      }
      case 'block':
        await engine.block(keyIds[o.key]!, o.ms);
        model.block(keyIds[o.key]!, o.ms);
        break;
      case 'unblock':
        await engine.unblock(keyIds[o.key]!);
        model.unblock(keyIds[o.key]!);
        break;
      case 'enable':
        await engine.enable(keyIds[o.key]!);
        model.enable(keyIds[o.key]!);
        break;
      case 'disable':
        await engine.disable(keyIds[o.key]!, 'by test', o.kind);
        model.disable(keyIds[o.key]!, o.kind, 'by test');
        break;
      case 'advance':
        now += o.ms;
        model.now = now;
        break;
      case 'reset':
        await engine.resetDaily();
        model.resetDaily();
        break;
      case 'unblockExpired':
        await engine.unblockExpired();
        model.unblockExpired();
        break;
    }
    await compareKeys(model, step);
  }
}

describe('the Lua engine against the reference model', () => {
  it('agrees on every choice and every key state', async () => {
    const op = opWith(outcomeWith(5, 3));
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 100 }), run), { numRuns: 200 });
  }, 300_000);

  it('agrees through outages (mostly server errors: key and provider breakers, probes)', async () => {
    const op = opWith(outcomeWith(2, 6));
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 100 }), run), { numRuns: 400 });
  }, 300_000);
});
