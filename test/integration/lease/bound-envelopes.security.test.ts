/**
 * Someone who can write to Postgres but has no master key moves envelopes between rows, or moves a
 * row to another provider's account, hoping a worker sends one provider's key to another
 * provider's base URL. Leasing through the pool must refuse each such key before any call: it is
 * disabled (kind invalid_key) with a reason naming what failed, never the secret, and no lease
 * hands it out.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import { generateMasterKey, KeyRing } from '../../../src/crypto/key-ring.js';
import { createKeyPool, type KeyPool } from '../../../src/lease/key-pool.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { isolate } from '../../setup/isolation.js';
import { sealV1 } from '../../support/v1-envelope.js';
import { connectRedis, createEngine, seedKeys } from './fixtures.js';

const env = isolate('lease-bound-envelopes');
let db: Db;
let redis: Redis;
const pools: KeyPool[] = [];

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = connectRedis(env.redisUrl);
});

beforeEach(async () => {
  await env.flushRedis();
  await db.raw('TRUNCATE ai_request_logs, ai_api_keys, ai_accounts RESTART IDENTITY CASCADE');
});

afterAll(async () => {
  for (const p of pools) await p.close();
  redis.disconnect();
  await db.destroy();
  await env.cleanup();
});

const row = (keyId: number) =>
  db('ai_api_keys')
    .where('key_id', keyId)
    .first<{ status: string; disabled_kind: string; disabled_reason: string }>();

async function startPool(ring: KeyRing): Promise<KeyPool> {
  const pool = createKeyPool({
    db,
    engine: createEngine(redis, db, env.prefix),
    ring,
    counterFlushMs: 60_000,
  });
  pools.push(pool);
  await pool.hydrate(); // as a worker does at start, after the rows were changed
  return pool;
}

async function swapEnvelopes(a: number, b: number): Promise<void> {
  const [ea, eb] = await Promise.all([a, b].map((id) => db('ai_api_keys').where('key_id', id).first()));
  await db('ai_api_keys').where('key_id', a).update({ api_key_encrypted: eb.api_key_encrypted });
  await db('ai_api_keys').where('key_id', b).update({ api_key_encrypted: ea.api_key_encrypted });
}

async function expectRefused(keyId: number, reason: RegExp, secrets: readonly string[]): Promise<void> {
  const stored = await row(keyId);
  expect(stored).toMatchObject({ status: 'disabled', disabled_kind: 'invalid_key' });
  expect(stored!.disabled_reason).toMatch(reason);
  for (const secret of secrets) expect(stored!.disabled_reason).not.toContain(secret.slice(0, 8));
  const state = (await createEngine(redis, db, env.prefix).keyStates([keyId]))[0]!;
  expect(state).toMatchObject({ status: 'disabled', disabledKind: 'invalid_key', inflight: 0 });
}

describe('envelopes bound to their rows', () => {
  it('two keys whose envelopes were swapped are both disabled ("bound to another key"), and no lease hands either out', async () => {
    const seeded = await seedKeys(db, [{ usedToday: 0 }, { usedToday: 5 }]);
    const [a, b] = seeded.keyIds as [number, number];
    await swapEnvelopes(a, b);
    const pool = await startPool(seeded.ring);

    const picked = await pool.lease({ provider: 'openai', estimatedTokens: 1 });
    expect(picked.ok).toBe(false);
    const secrets = [...seeded.secrets.values()];
    await expectRefused(a, /^cannot decrypt: bound to another key/, secrets);
    await expectRefused(b, /^cannot decrypt: bound to another key/, secrets);
  });

  it('v1 envelopes (not bound) swapped together with nothing else: both disabled for a hash mismatch', async () => {
    const seeded = await seedKeys(db, [{ usedToday: 0 }, { usedToday: 5 }]);
    const [a, b] = seeded.keyIds as [number, number];
    // As an older aikeys stored them: v1 envelopes, which only the hash check ties to their rows.
    for (const id of [a, b]) {
      await db('ai_api_keys')
        .where('key_id', id)
        .update({ api_key_encrypted: sealV1(new Secret(seeded.secrets.get(id)!), seeded.ring.primary) });
    }
    await swapEnvelopes(a, b);
    const pool = await startPool(seeded.ring);

    const picked = await pool.lease({ provider: 'openai', estimatedTokens: 1 });
    expect(picked.ok).toBe(false);
    const secrets = [...seeded.secrets.values()];
    await expectRefused(a, /^cannot decrypt: hash mismatch/, secrets);
    await expectRefused(b, /^cannot decrypt: hash mismatch/, secrets);
  });

  it("a key moved to another provider's account in Postgres is disabled, not sent to that provider", async () => {
    const ring = KeyRing.fromSecrets(generateMasterKey());
    const seeded = await seedKeys(
      db,
      [
        { provider: 'openai', usedToday: 0 },
        { provider: 'anthropic', usedToday: 50 },
      ],
      {},
      ring,
    );
    const [moved, anthropicKey] = seeded.keyIds as [number, number];
    const anthropicAccount = seeded.accountIds.get('anthropic:1')!;
    await db('ai_api_keys').where('key_id', moved).update({ account_id: anthropicAccount });
    const pool = await startPool(ring);

    // The moved key is the least used anthropic key now, so a lease tries it first.
    const picked = await pool.lease({ provider: 'anthropic', estimatedTokens: 1 });
    if (!picked.ok) throw new Error(`expected the real anthropic key, got ${picked.reason}`);
    expect(picked.key.keyId).toBe(anthropicKey);
    expect(picked.key.secret.reveal()).toBe(seeded.secrets.get(anthropicKey));
    await expectRefused(moved, /^cannot decrypt: bound to another key, provider or account/, [
      ...seeded.secrets.values(),
    ]);
  });
});
