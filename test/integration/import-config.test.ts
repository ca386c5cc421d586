import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ImportableConfig, LegacyNotice } from '../../src/config/types.js';
import { Secret } from '../../src/core/secret.js';
import { readEnvelopeHeader } from '../../src/crypto/envelope.js';
import { hashSecret } from '../../src/crypto/hash.js';
import { generateMasterKey, KeyRing } from '../../src/crypto/key-ring.js';
import { openStoredKey } from '../../src/crypto/stored-key.js';
import { createDb, openDatabase, type Db } from '../../src/store/database.js';
import { importConfig, isNoop, type ImportReport } from '../../src/store/import-config.js';
import { findKeyByName, listKeys, loadSealedKey } from '../../src/store/keys.js';
import { listAccounts } from '../../src/store/accounts.js';
import { getSystemHealth } from '../../src/store/health.js';
import { isolate } from '../setup/isolation.js';
import { buildConfig as baseConfig, type KeySpec } from './import-fixtures.js';

const masterKey = generateMasterKey();
const ring = KeyRing.fromSecrets(masterKey);
const buildConfig = (specs: KeySpec[], legacy: LegacyNotice[] = []): ImportableConfig =>
  baseConfig(masterKey, specs, legacy);

const SECRETS = Array.from(
  { length: 6 },
  (_, i) => `sk-test-${i + 1}-${'abcdefghij'.repeat(3)}-${i}${i}${i}`,
);
const base = (): KeySpec[] => SECRETS.slice(0, 4).map((secret, i) => ({ n: i + 1, secret }));

const env = isolate('import');
let db: Db;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
});

afterAll(async () => {
  await db?.destroy();
  await env.cleanup();
});

async function resetTables(): Promise<void> {
  await db.raw('TRUNCATE ai_request_logs, ai_api_keys, ai_accounts RESTART IDENTITY CASCADE');
}

function expectNoSecrets(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  expect(text).not.toContain(masterKey.reveal());
}

function names(entries: readonly { name: string }[]): string[] {
  return entries.map((e) => e.name);
}

describe('importConfig', () => {
  beforeEach(resetTables);

  it('imports into an empty database: accounts, hashes, envelopes that open to the right secret', async () => {
    const report = await importConfig(db, buildConfig(base()), { ring });
    expect(names(report.added)).toEqual(['key_1', 'key_2', 'key_3', 'key_4']);
    expect(report.changed).toEqual([]);
    expect(report.accounts.added.map((a) => a.ref)).toEqual(['openai:1', 'openai:2']);

    const accounts = await listAccounts(db);
    expect(accounts.map((a) => [a.name, a.priority, a.totalKeys, a.activeKeys, a.dailyQuota])).toEqual([
      ['Primary Account', 1, 2, 2, 200_000],
      ['Secondary Account (Fallback)', 2, 2, 2, 200_000],
    ]);
    const rows = await db('ai_api_keys').orderBy('key_number');
    for (const [i, row] of rows.entries()) {
      const secret = new Secret(SECRETS[i]!);
      expect(row.api_key_hash).toBe(hashSecret(secret));
      expect(row.api_key_encrypted).not.toContain(SECRETS[i]);
      const stored = (await loadSealedKey(db, row.key_id))!;
      expect(stored.envelope).toBe(row.api_key_encrypted);
      expect(readEnvelopeHeader(stored.envelope).version).toBe('v2');
      expect(openStoredKey(stored, ring).equals(secret)).toBe(true);
      expect(row.status).toBe('active');
    }
    const keys = await listKeys(db);
    expect(keys.map((k) => [k.name, k.accountName])).toEqual([
      ['key_1', 'Primary Account'],
      ['key_2', 'Primary Account'],
      ['key_3', 'Secondary Account (Fallback)'],
      ['key_4', 'Secondary Account (Fallback)'],
    ]);
    expect(Object.keys(keys[0]!)).not.toContain('api_key_encrypted');
    expect(report.added[0]!.masked).toBe(new Secret(SECRETS[0]!).masked);
    expectNoSecrets(JSON.stringify(report));
  });

  it('a second import of the same config changes nothing, not even updated_at or the envelopes', async () => {
    await importConfig(db, buildConfig(base()), { ring });
    const before = await db('ai_api_keys').orderBy('key_id');
    const accountsBefore = await db('ai_accounts').orderBy('account_id');
    const report = await importConfig(db, buildConfig(base()), { ring });
    expect(isNoop(report)).toBe(true);
    expect(names(report.unchanged)).toEqual(['key_1', 'key_2', 'key_3', 'key_4']);
    expect(await db('ai_api_keys').orderBy('key_id')).toEqual(before);
    expect(await db('ai_accounts').orderBy('account_id')).toEqual(accountsBefore);
  });

  it('reports a changed model, provider or number, and moves the key to its new account', async () => {
    await importConfig(db, buildConfig(base()), { ring });
    const specs = base();
    specs[0]!.model = 'gpt-4o';
    specs[1]!.provider = 'anthropic';
    specs[3]!.n = 9; // key_4 -> key_9
    const report = await importConfig(db, buildConfig(specs), { ring });

    const byName = new Map(report.changed.map((c) => [c.name, c.changes]));
    expect(byName.get('key_1')).toContainEqual({ field: 'model', from: 'gpt-4-turbo', to: 'gpt-4o' });
    expect(byName.get('key_2')).toEqual(
      expect.arrayContaining([
        { field: 'provider', from: 'openai', to: 'anthropic' },
        { field: 'account', from: 'openai:1', to: 'anthropic:1' },
      ]),
    );
    expect(byName.get('key_9')).toContainEqual({ field: 'name', from: 'key_4', to: 'key_9' });
    expect(report.added).toEqual([]);
    expect(report.disabled).toEqual([]);

    const key2 = await findKeyByName(db, 'key_2');
    expect([key2?.provider, key2?.priority, key2?.accountName]).toEqual([
      'anthropic',
      1,
      'Primary Account (anthropic)',
    ]);
    // openai now has key_1, key_3, key_9: key_3 moved from the fallback half to the primary one.
    const key3 = await findKeyByName(db, 'key_3');
    expect(key3?.priority).toBe(1);
    expect(await findKeyByName(db, 'key_4')).toBeUndefined();
    // Same rows, same envelopes: identity is the secret's hash.
    expect(await db('ai_api_keys').count<{ count: number }[]>('* as count')).toEqual([{ count: 4 }]);
    expectNoSecrets(JSON.stringify(report));
  });

  it('disables a removed key with a reason, keeps its history, and re-activates it when it comes back', async () => {
    await importConfig(db, buildConfig(base()), { ring });
    const key3 = (await findKeyByName(db, 'key_3'))!;
    await db('ai_request_logs').insert({
      key_id: key3.keyId,
      account_id: key3.accountId,
      provider: 'openai',
      model: 'gpt-4-turbo',
      response_status: 200,
      tokens_used: 42,
    });

    const without3 = base().filter((s) => s.n !== 3);
    const removed = await importConfig(db, buildConfig(without3), { ring });
    expect(removed.disabled).toEqual([
      {
        name: 'key_3',
        masked: new Secret(SECRETS[2]!).masked,
        provider: 'openai',
        model: 'gpt-4-turbo',
        account: 'openai:2',
        reason: 'removed from config (was key_3)',
      },
    ]);
    const row = await db('ai_api_keys').where('key_id', key3.keyId).first();
    expect([row.status, row.disabled_kind, row.disabled_reason]).toEqual([
      'disabled',
      'removed',
      'removed from config (was key_3)',
    ]);
    expect(await db('ai_request_logs').where('key_id', key3.keyId).count<{ c: number }[]>('* as c')).toEqual([
      { c: 1 },
    ]);
    expect((await listKeys(db)).map((k) => k.name)).not.toContain('key_3');
    expect((await listKeys(db, { includeRemoved: true })).map((k) => k.name)).toContain('key_3');

    const again = await importConfig(db, buildConfig(without3), { ring });
    expect(again.disabled).toEqual([]);
    expect(again.alreadyRemoved).toBe(1);
    expect(isNoop(again)).toBe(true);

    const back = await importConfig(db, buildConfig(base()), { ring });
    expect(back.changed.find((c) => c.name === 'key_3')?.changes).toContainEqual({
      field: 'status',
      from: 'disabled',
      to: 'active',
    });
    const revived = await db('ai_api_keys').where('key_id', key3.keyId).first();
    expect([revived.status, revived.disabled_kind, revived.disabled_reason]).toEqual(['active', null, null]);
    expectNoSecrets(JSON.stringify([removed, again, back]));
  });

  it('leaves a manually disabled key disabled while updating its settings', async () => {
    await importConfig(db, buildConfig(base()), { ring });
    await db('ai_api_keys')
      .where('key_name', 'key_1')
      .update({ status: 'disabled', disabled_kind: 'manual', disabled_reason: 'operator' });
    const specs = base();
    specs[0]!.dailyLimit = 5;
    const report = await importConfig(db, buildConfig(specs), { ring });
    expect(report.changed.map((c) => [c.name, c.changes])).toEqual([
      ['key_1', [{ field: 'dailyLimit', from: 100_000, to: 5 }]],
    ]);
    const key1 = await findKeyByName(db, 'key_1');
    expect([key1?.status, key1?.disabledKind, key1?.dailyLimit]).toEqual(['disabled', 'manual', 5]);
  });

  it('a dry run reports exactly what the import would do and writes nothing', async () => {
    const planned = await importConfig(db, buildConfig(base()), { ring, dryRun: true });
    expect(planned.dryRun).toBe(true);
    expect(names(planned.added)).toEqual(['key_1', 'key_2', 'key_3', 'key_4']);
    expect(await db('ai_api_keys').count<{ c: number }[]>('* as c')).toEqual([{ c: 0 }]);
    expect(await db('ai_accounts').count<{ c: number }[]>('* as c')).toEqual([{ c: 0 }]);

    const real = await importConfig(db, buildConfig(base()), { ring });
    expect({ ...real, dryRun: true }).toEqual(planned);

    const before = await db('ai_api_keys').orderBy('key_id');
    const plannedRemoval = await importConfig(db, buildConfig(base().slice(0, 2)), { ring, dryRun: true });
    expect(names(plannedRemoval.disabled)).toEqual(['key_3', 'key_4']);
    expect(await db('ai_api_keys').orderBy('key_id')).toEqual(before);
  });

  it('two concurrent imports from two connection pools serialise: one row per key, one import adds', async () => {
    const other = createDb(env.databaseUrl);
    try {
      const config = buildConfig(SECRETS.map((secret, i) => ({ n: i + 1, secret })));
      const reports: ImportReport[] = await Promise.all([
        importConfig(db, config, { ring }),
        importConfig(other, config, { ring }),
      ]);
      const addedCounts = reports.map((r) => r.added.length).sort();
      expect(addedCounts).toEqual([0, 6]);
      const second = reports.find((r) => r.added.length === 0)!;
      expect(isNoop(second)).toBe(true);
      expect(second.unchanged).toHaveLength(6);
      const rows = await db('ai_api_keys').select('api_key_hash');
      expect(rows).toHaveLength(6);
      expect(new Set(rows.map((r) => r.api_key_hash)).size).toBe(6);
      expect(await db('ai_accounts').count<{ c: number }[]>('* as c')).toEqual([{ c: 2 }]);
    } finally {
      await other.destroy();
    }
  });

  it('echoes legacy notices', async () => {
    const notice: LegacyNotice = {
      file: '/tmp/aikeys-test/.env.local',
      line: 7,
      name: 'OPENAI_API_KEY',
      newName: 'KEY_5',
      message: 'OPENAI_API_KEY is a legacy name: rename it to KEY_5',
    };
    const report = await importConfig(db, buildConfig(base(), [notice]), { ring });
    expect(report.legacy).toEqual([notice]);
  });

  it('loadSealedKey returns the envelope of one key with its binding, and nothing for an unknown id', async () => {
    await importConfig(db, buildConfig(base()), { ring });
    const key2 = (await findKeyByName(db, 'key_2'))!;
    const stored = await loadSealedKey(db, key2.keyId);
    expect(stored).toMatchObject({ keyId: key2.keyId, accountId: key2.accountId, provider: key2.provider });
    expect(openStoredKey(stored!, ring).reveal()).toBe(SECRETS[1]);
    expect(await loadSealedKey(db, 999_999)).toBeUndefined();
  });
});

describe('getSystemHealth', () => {
  beforeEach(resetTables);

  it('is unhealthy with no keys and counts each status', async () => {
    const empty = await getSystemHealth(db);
    expect(empty).toMatchObject({
      totalKeys: 0,
      activeKeys: 0,
      healthy: false,
      encryptionEnabled: false,
    });

    const config = buildConfig(SECRETS.slice(0, 5).map((secret, i) => ({ n: i + 1, secret })));
    await importConfig(db, config, { ring });
    await db('ai_api_keys').where('key_name', 'key_1').update({ status: 'exhausted' });
    await db('ai_api_keys')
      .where('key_name', 'key_2')
      .update({ status: 'temporarily_blocked', temporary_block_until: db.raw(`now() + interval '1 hour'`) });
    // A block whose time has passed has ended (as for the lease engine): active before the unblock task runs.
    await db('ai_api_keys')
      .where('key_name', 'key_3')
      .update({ status: 'temporarily_blocked', temporary_block_until: db.raw(`now() - interval '1 hour'`) });
    await db('ai_api_keys')
      .where('key_name', 'key_4')
      .update({ status: 'disabled', disabled_kind: 'manual' });

    expect(await getSystemHealth(db, config)).toEqual({
      totalKeys: 5,
      activeKeys: 2,
      disabledKeys: 1,
      blockedKeys: 1,
      exhaustedKeys: 1,
      accounts: 2,
      healthy: true,
      encryptionEnabled: true,
      keysSealedByOtherMasterKey: 0,
      keysByMasterKey: [{ masterKeyId: ring.primary.id, role: 'current', keys: 5, v1Keys: 0 }],
      usageRejects: 0,
      config: {
        file: config.file,
        last_import_at: expect.any(String) as string,
        last_import: { added: 5, changed: 0, disabled: 0, unchanged: 0 },
        last_error: null,
        restart_needed: [],
      },
    });
    const otherKey = { ...config, system: { ...config.system, encryptionKey: generateMasterKey() } };
    expect((await getSystemHealth(db, otherKey)).keysSealedByOtherMasterKey).toBe(5);
  });
});
