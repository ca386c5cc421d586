import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.js';
import { open, readEnvelopeHeader, seal } from '../../src/crypto/envelope.js';
import { hashSecret } from '../../src/crypto/hash.js';
import { generateMasterKey, KeyRing } from '../../src/crypto/key-ring.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { resealKeys } from '../../src/store/import/reseal-keys.js';
import { isolate } from '../setup/isolation.js';
import { sealV1 } from '../support/v1-envelope.js';

const env = isolate('reseal');
let db: Db;

const oldKey = generateMasterKey();
const newKey = generateMasterKey();
const strangerKey = generateMasterKey();
const secrets = [
  'sk-reseal-aaaaaaaaaaaaaaaaaaaa',
  'sk-reseal-bbbbbbbbbbbbbbbbbbbb',
  'sk-reseal-cccccccccccccccccccc',
];

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  const [account] = await db('ai_accounts')
    .insert({ account_name: 'Primary Account', provider_name: 'openai', priority: 1 })
    .returning<{ account_id: number }[]>('account_id');
  const oldRing = KeyRing.fromSecrets(oldKey);
  const newRing = KeyRing.fromSecrets(newKey);
  const accountId = account!.account_id;
  await db('ai_api_keys').insert(
    secrets.map((s, i) => ({
      key_id: i + 1,
      account_id: accountId,
      api_key_hash: hashSecret(new Secret(s)),
      // key_1 as an older aikeys sealed it (v1); key_3 already sealed by the new key, as a key
      // imported after the switch would be.
      api_key_encrypted:
        i === 0
          ? sealV1(new Secret(s), oldRing.primary)
          : seal(new Secret(s), (i === 2 ? newRing : oldRing).primary, {
              keyId: i + 1,
              provider: 'openai',
              accountId,
            }),
      key_name: `key_${i + 1}`,
      key_number: i + 1,
      model_name: 'gpt-4-turbo',
      daily_limit: 100,
    })),
  );
});

afterAll(async () => {
  await db?.destroy();
  await env.cleanup();
});

async function envelopes(): Promise<string[]> {
  return db('ai_api_keys').orderBy('key_id').pluck('api_key_encrypted');
}

describe('resealKeys', () => {
  it('changes nothing when a key is sealed by a master key it was not given', async () => {
    const before = await envelopes();
    const ring = KeyRing.fromSecrets(newKey, [strangerKey]);
    await expect(resealKeys(db, ring)).rejects.toThrow(/Nothing was changed.*\(2 keys\)/);
    expect(await envelopes()).toEqual(before);
  });

  it('re-seals the old keys with the new master key, leaves current ones, and the secrets survive', async () => {
    const before = await envelopes();
    const ring = KeyRing.fromSecrets(newKey, [oldKey]);
    const report = await resealKeys(db, ring);
    expect(report).toEqual({ resealed: 2, alreadyCurrent: 1, masterKeyId: ring.primary.id });

    const after = await envelopes();
    expect(after[2]).toBe(before[2]);
    const onlyNew = KeyRing.fromSecrets(newKey);
    for (const [i, envelope] of after.entries()) {
      expect(readEnvelopeHeader(envelope)).toMatchObject({ keyId: onlyNew.primary.id, version: 'v2' });
      expect(open(envelope, onlyNew, { keyId: i + 1, provider: 'openai', accountId: 1 }).reveal()).toBe(
        secrets[i],
      );
    }
    expect(await resealKeys(db, ring)).toEqual({
      resealed: 0,
      alreadyCurrent: 3,
      masterKeyId: ring.primary.id,
    });
  });
});
