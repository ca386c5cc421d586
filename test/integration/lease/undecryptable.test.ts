/**
 * A stored key this process cannot decrypt (sealed by another master key, or a tampered envelope)
 * is disabled at once with the cause as its reason, in Redis and Postgres, its lease released
 * without a call, and the lease goes to another key.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import { seal } from '../../../src/crypto/envelope.js';
import { generateMasterKey, KeyRing } from '../../../src/crypto/key-ring.js';
import { createKeyPool, type KeyPool } from '../../../src/lease/key-pool.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { isolate } from '../../setup/isolation.js';
import { connectRedis, createEngine, seedKeys } from './fixtures.js';

const env = isolate('lease-undecryptable');
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

/** Key 1 (least used, so chosen first) is the bad one; key 2 decrypts with the pool's ring. */
async function poolWithBadFirstKey(
  spoil: (badKeyId: number) => Promise<void>,
): Promise<{ pool: KeyPool; bad: number; good: number; goodSecret: string }> {
  const ring = KeyRing.fromSecrets(generateMasterKey());
  const [bad] = (await seedKeys(db, [{ usedToday: 0 }], {}, ring)).keyIds as [number];
  const seeded = await seedKeys(db, [{ usedToday: 10 }], {}, ring);
  const good = seeded.keyIds[0]!;
  await spoil(bad);
  const engine = createEngine(redis, db, env.prefix);
  const pool = createKeyPool({ db, engine, ring, counterFlushMs: 60_000 });
  pools.push(pool);
  await pool.hydrate();
  return { pool, bad, good, goodSecret: seeded.secrets.get(good)! };
}

const row = (keyId: number) => db('ai_api_keys').where('key_id', keyId).first();

async function expectDisabledAndSkipped(
  setup: Awaited<ReturnType<typeof poolWithBadFirstKey>>,
  reason: RegExp,
): Promise<void> {
  const { pool, bad, good, goodSecret } = setup;
  const picked = await pool.lease({ provider: 'openai', estimatedTokens: 1 });
  if (!picked.ok) throw new Error(`expected a key, got ${picked.reason}`);
  // The lease went to the other key: the bad one never reached a caller, so no call used it.
  expect(picked.key.keyId).toBe(good);
  expect(picked.key.secret.reveal()).toBe(goodSecret);
  const engineState = (await createEngine(redis, db, env.prefix).keyStates([bad]))[0]!;
  expect(engineState).toMatchObject({
    status: 'disabled',
    disabledKind: 'invalid_key',
    inflight: 0,
    reserved: 0,
  });
  expect(engineState.disabledReason).toMatch(reason);
  expect(await row(bad)).toMatchObject({ status: 'disabled', disabled_kind: 'invalid_key' });
  expect((await row(bad)).disabled_reason).toMatch(reason);
  // The next lease does not choose it either.
  await pool.release(picked.key, { kind: 'success', tokens: 1 });
  const next = await pool.lease({ provider: 'openai', estimatedTokens: 1 });
  expect(next.ok && next.key.keyId).toBe(good);
}

describe('a key that cannot be decrypted', () => {
  it('sealed by another master key: disabled with that reason, and the lease goes to another key', async () => {
    const setup = await poolWithBadFirstKey(async (bad) => {
      const other = KeyRing.fromSecrets(generateMasterKey());
      await db('ai_api_keys')
        .where('key_id', bad)
        .update({
          api_key_encrypted: seal(new Secret('sk-foreign-secret-1'), other.primary, {
            keyId: bad,
            provider: 'openai',
            accountId: 1,
          }),
        });
    });
    await expectDisabledAndSkipped(setup, /^cannot decrypt: sealed by another master key/);
    expect((await row(setup.bad)).disabled_reason).not.toContain('sk-foreign-secret-1');
  });

  it('a tampered envelope: disabled as tampered', async () => {
    const setup = await poolWithBadFirstKey(async (bad) => {
      const { api_key_encrypted: envelope } = (await row(bad)) as { api_key_encrypted: string };
      const parts = envelope.split(':');
      const ciphertext = Buffer.from(parts[6]!, 'base64url');
      ciphertext[0] = ciphertext[0]! ^ 1;
      parts[6] = ciphertext.toString('base64url');
      await db('ai_api_keys')
        .where('key_id', bad)
        .update({ api_key_encrypted: parts.join(':') });
    });
    // A v2 envelope's authentication covers its row too, and GCM cannot tell a flipped bit from a copy.
    await expectDisabledAndSkipped(
      setup,
      /^cannot decrypt: bound to another key, provider or account, or altered/,
    );
  });
});
