/**
 * The import seals each key bound to its row (key id, provider, account), re-seals a v1 envelope
 * (not bound) as v2, and re-seals a key it moves to another account, so the binding always names
 * the row as it is; keys it does not touch keep their envelopes byte for byte.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/core/secret.js';
import { readEnvelopeHeader } from '../../src/crypto/envelope.js';
import { generateMasterKey, KeyRing } from '../../src/crypto/key-ring.js';
import { openStoredKey } from '../../src/crypto/stored-key.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { importConfig } from '../../src/store/import-config.js';
import { findKeyByName, loadSealedKey } from '../../src/store/keys.js';
import { isolate } from '../setup/isolation.js';
import { sealV1 } from '../support/v1-envelope.js';
import { buildConfig, type KeySpec } from './import-fixtures.js';

const masterKey = generateMasterKey();
const ring = KeyRing.fromSecrets(masterKey);
const SECRETS = ['sk-binding-one-0123456789abcdef', 'sk-binding-two-0123456789abcdef'];
const specs = (): KeySpec[] => SECRETS.map((secret, i) => ({ n: i + 1, secret }));

const env = isolate('import-binding');
let db: Db;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
});

beforeEach(async () => {
  await db.raw('TRUNCATE ai_request_logs, ai_api_keys, ai_accounts RESTART IDENTITY CASCADE');
});

afterAll(async () => {
  await db?.destroy();
  await env.cleanup();
});

async function stored(name: string) {
  const key = (await findKeyByName(db, name))!;
  return (await loadSealedKey(db, key.keyId))!;
}

describe('import and envelope binding', () => {
  it('re-seals a v1 envelope as v2 bound to its row, and leaves v2 envelopes alone', async () => {
    await importConfig(db, buildConfig(masterKey, specs()), { ring });
    const key1 = await stored('key_1');
    const key2Before = (await stored('key_2')).envelope;
    await db('ai_api_keys')
      .where('key_id', key1.keyId)
      .update({ api_key_encrypted: sealV1(new Secret(SECRETS[0]!), ring.primary) });

    await importConfig(db, buildConfig(masterKey, specs()), { ring });
    const after = await stored('key_1');
    expect(readEnvelopeHeader(after.envelope).version).toBe('v2');
    expect(openStoredKey(after, ring).reveal()).toBe(SECRETS[0]);
    expect((await stored('key_2')).envelope).toBe(key2Before);
  });

  it('re-seals a key it moves to another provider, bound to the new account', async () => {
    await importConfig(db, buildConfig(masterKey, specs()), { ring });
    const before = await stored('key_2');
    const moved = specs().map((s) => (s.n === 2 ? { ...s, provider: 'anthropic' } : s));

    await importConfig(db, buildConfig(masterKey, moved), { ring });
    const after = await stored('key_2');
    expect(after).toMatchObject({ keyId: before.keyId, provider: 'anthropic' });
    expect(after.accountId).not.toBe(before.accountId);
    expect(openStoredKey(after, ring).reveal()).toBe(SECRETS[1]);
    // The old envelope would not open for the new row: the binding is what moved it.
    expect(() => openStoredKey({ ...after, envelope: before.envelope }, ring)).toThrow(
      /bound to another key/,
    );
  });
});
