/**
 * Master-key rotation while workers serve: a pool whose ring has the new key as current and the old
 * one as previous (AI_ENCRYPTION_KEY + AI_ENCRYPTION_KEY_PREVIOUS) leases and decrypts without a
 * single failure while `resealKeys` re-seals every key in one transaction, reloading its envelopes
 * from Postgres as it goes (as a hydration after an import would). Afterwards the old key seals no
 * key, so a process with only the new key opens them all.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import { generateMasterKey, KeyRing } from '../../../src/crypto/key-ring.js';
import { createKeyPool, type KeyPool } from '../../../src/lease/key-pool.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { resealKeys } from '../../../src/store/import/reseal-keys.js';
import { countKeysByMasterKey } from '../../../src/store/master-key-usage.js';
import { isolate } from '../../setup/isolation.js';
import { sealV1 } from '../../support/v1-envelope.js';
import { connectRedis, createEngine, seedKeys } from './fixtures.js';

const env = isolate('online-rotation');
let db: Db;
let redis: Redis;
const pools: KeyPool[] = [];
const KEYS = 200;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = connectRedis(env.redisUrl);
});

afterAll(async () => {
  for (const p of pools) await p.close();
  redis.disconnect();
  await db.destroy();
  await env.cleanup();
});

function startPool(ring: KeyRing): KeyPool {
  const pool = createKeyPool({
    db,
    engine: createEngine(redis, db, env.prefix),
    ring,
    counterFlushMs: 60_000,
  });
  pools.push(pool);
  return pool;
}

describe('online master-key rotation', () => {
  it('a pool with the new key and the old as previous serves through the rotation with 0 failures', async () => {
    const oldKey = generateMasterKey();
    const newKey = generateMasterKey();
    const oldRing = KeyRing.fromSecrets(oldKey);
    const both = KeyRing.fromSecrets(newKey, [oldKey]);
    const seeded = await seedKeys(
      db,
      Array.from({ length: KEYS }, () => ({})),
      {},
      oldRing,
    );
    // A tenth as an older aikeys sealed them (v1), which the rotation re-seals too.
    for (const keyId of seeded.keyIds.filter((_, i) => i % 10 === 0)) {
      const envelope = sealV1(new Secret(seeded.secrets.get(keyId)!), oldRing.primary);
      await db('ai_api_keys').where('key_id', keyId).update({ api_key_encrypted: envelope });
    }
    const pool = startPool(both);
    await pool.hydrate();

    let rotating = true;
    let leases = 0;
    const failures: string[] = [];
    const serve = async (): Promise<void> => {
      while (rotating) {
        try {
          const picked = await pool.lease({ provider: 'openai', estimatedTokens: 1 });
          if (!picked.ok) failures.push(`no key: ${picked.reason}`);
          else {
            if (picked.key.secret.reveal() !== seeded.secrets.get(picked.key.keyId))
              failures.push(`key ${picked.key.keyId} opened to the wrong secret`);
            await pool.release(picked.key, { kind: 'success', tokens: 1 });
            leases += 1;
          }
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const reloads = async (): Promise<void> => {
      // Drop the cached envelopes now and then, so leases also open envelopes the rotation just wrote.
      while (rotating) {
        await pool.hydrate();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const workers = [serve(), serve(), serve(), serve(), reloads()];
    const before = leases;
    const report = await resealKeys(db, both);
    const duringRotation = leases - before;
    await new Promise((resolve) => setTimeout(resolve, 200)); // keep serving on the new envelopes
    rotating = false;
    await Promise.all(workers);

    expect(report).toEqual({ resealed: KEYS, alreadyCurrent: 0, masterKeyId: both.primary.id });
    expect(failures).toEqual([]);
    // Leases were served while the rotation ran, and after it on the new envelopes.
    expect(duringRotation).toBeGreaterThan(0);
    expect(leases).toBeGreaterThan(before + duringRotation);
    const disabled = await db('ai_api_keys')
      .where('status', 'disabled')
      .count<{ count: string }[]>('* as count');
    expect(Number(disabled[0]!.count)).toBe(0);

    // The old key now seals nothing: it can leave AI_ENCRYPTION_KEY_PREVIOUS.
    const usage = await countKeysByMasterKey(db, {
      current: both.primary.id,
      previous: [oldRing.primary.id],
    });
    expect(usage).toEqual(
      expect.arrayContaining([
        { masterKeyId: both.primary.id, role: 'current', keys: KEYS, v1Keys: 0 },
        { masterKeyId: oldRing.primary.id, role: 'previous', keys: 0, v1Keys: 0 },
      ]),
    );
    const onlyNew = startPool(KeyRing.fromSecrets(newKey));
    await onlyNew.hydrate();
    const picked = await onlyNew.lease({ provider: 'openai', estimatedTokens: 1 });
    if (!picked.ok) throw new Error(`expected a key, got ${picked.reason}`);
    expect(picked.key.secret.reveal()).toBe(seeded.secrets.get(picked.key.keyId));
  });

  it('a process with the new key as current and the old as previous opens old and new envelopes alike', async () => {
    await db.raw('TRUNCATE ai_request_logs, ai_api_keys, ai_accounts RESTART IDENTITY CASCADE');
    await redis.flushdb();
    const oldKey = generateMasterKey();
    const newKey = generateMasterKey();
    const seededOld = await seedKeys(db, [{ usedToday: 0 }], {}, KeyRing.fromSecrets(oldKey));
    const seededNew = await seedKeys(db, [{ usedToday: 10 }], {}, KeyRing.fromSecrets(newKey));
    const pool = startPool(KeyRing.fromSecrets(newKey, [oldKey]));
    await pool.hydrate();
    const first = await pool.lease({ provider: 'openai', estimatedTokens: 1 });
    if (!first.ok) throw new Error('expected a key');
    const second = await pool.lease({
      provider: 'openai',
      estimatedTokens: 1,
      excludeKeyIds: [first.key.keyId],
    });
    if (!second.ok) throw new Error('expected the other key');
    const opened = new Map([first, second].map((p) => [p.key.keyId, p.key.secret.reveal()]));
    expect(opened).toEqual(new Map([...seededOld.secrets, ...seededNew.secrets]));
  });
});
