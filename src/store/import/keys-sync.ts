/**
 * Brings `ai_api_keys` in line with the config's keys. A key is identified by the SHA-256 of its
 * secret, not by its number: renumbering a key or moving it to another provider keeps its usage
 * and history. Runs inside the import's transaction, after the accounts are synced.
 *
 * - in config, not in db: inserted, sealed with the ring's primary master key and bound to its row
 *   (key id, provider, account: src/crypto/envelope.ts), so the key id is taken before the insert;
 * - in both: only the settings that differ are updated; the envelope is re-sealed only when the key
 *   moves to another account (its binding changes) or is still a v1 envelope (no binding), so an
 *   unchanged config writes nothing (master-key rotation is `aikeys rotate-encryption-key`'s job);
 *   a key disabled because it had been removed from the config comes back active;
 * - in db, not in config: disabled with kind 'removed' and a reason, never deleted.
 */
import type { Knex } from 'knex';
import { AikeysError } from '../../core/errors.js';
import type { ImportableKeyConfig, KeyConfig } from '../../config/types.js';
import { ENVELOPE_VERSION, readEnvelopeHeader, seal } from '../../crypto/envelope.js';
import type { KeyRing } from '../../crypto/key-ring.js';
import { openStoredKey } from '../../crypto/stored-key.js';
import { loadSealedKey } from '../keys.js';
import { accountRef } from './accounts-sync.js';
import type { ChangedKey, DisabledKey, FieldChange, ImportedKey } from './report.js';

/** What the import compares; the envelope is read only for the rare key that is being removed. */
interface KeyRow {
  key_id: number;
  api_key_hash: string;
  key_name: string;
  key_number: number;
  model_name: string;
  account_id: number;
  provider_name: string;
  priority: number;
  daily_limit: number;
  max_concurrency: number | null;
  status: string;
  disabled_kind: string | null;
  /** The envelope's public version field, never its ciphertext. */
  envelope_version: string;
}

export interface KeysSyncResult {
  readonly added: ImportedKey[];
  readonly changed: ChangedKey[];
  readonly disabled: DisabledKey[];
  readonly unchanged: ImportedKey[];
  readonly alreadyRemoved: number;
}

export const UNREADABLE_MASK = '(unreadable)';

function isRemoved(row: KeyRow): boolean {
  return row.status === 'disabled' && row.disabled_kind === 'removed';
}

export function removedReason(keyName: string): string {
  return `removed from config (was ${keyName})`;
}

/** Settings that differ between a stored key and its config, in a fixed order. */
export function diffKey(row: KeyRow, key: KeyConfig, accountId: number): FieldChange[] {
  const changes: FieldChange[] = [];
  if (row.key_name !== key.name || row.key_number !== key.number) {
    changes.push({ field: 'name', from: row.key_name, to: key.name });
  }
  if (row.model_name !== key.model) changes.push({ field: 'model', from: row.model_name, to: key.model });
  if (row.provider_name !== key.provider)
    changes.push({ field: 'provider', from: row.provider_name, to: key.provider });
  if (row.account_id !== accountId) {
    changes.push({ field: 'account', from: accountRef(row.provider_name, row.priority), to: key.accountRef });
  }
  if (row.daily_limit !== key.dailyLimit)
    changes.push({ field: 'dailyLimit', from: row.daily_limit, to: key.dailyLimit });
  if (row.max_concurrency !== key.maxConcurrency) {
    changes.push({ field: 'maxConcurrency', from: row.max_concurrency, to: key.maxConcurrency });
  }
  if (isRemoved(row)) changes.push({ field: 'status', from: 'disabled', to: 'active' });
  return changes;
}

function entryOf(key: ImportableKeyConfig): ImportedKey {
  return {
    name: key.name,
    masked: key.secret.masked,
    provider: key.provider,
    model: key.model,
    account: key.accountRef,
  };
}

/** The masked form of a key that left the config: only its envelope still knows the secret. */
async function maskStored(trx: Knex.Transaction, keyId: number, ring: KeyRing): Promise<string> {
  const stored = await loadSealedKey(trx, keyId);
  if (stored === undefined) return UNREADABLE_MASK;
  try {
    if (!ring.find(readEnvelopeHeader(stored.envelope).keyId)) return UNREADABLE_MASK;
    return openStoredKey(stored, ring).masked;
  } catch {
    // A tampered or foreign envelope must not stop the import; the report just cannot show it.
    return UNREADABLE_MASK;
  }
}

/** Taken from the column's own sequence, so the envelope can be bound to the id before the row exists. */
async function nextKeyId(trx: Knex.Transaction): Promise<number> {
  const { rows } = (await trx.raw(
    `SELECT nextval(pg_get_serial_sequence('ai_api_keys', 'key_id'))::int AS id`,
  )) as {
    rows: { id: number }[];
  };
  return rows[0]!.id;
}

export async function syncKeys(
  trx: Knex.Transaction,
  keys: readonly ImportableKeyConfig[],
  accountIdByRef: ReadonlyMap<string, number>,
  ring: KeyRing,
): Promise<KeysSyncResult> {
  const rows = await trx('ai_api_keys as k')
    .join('ai_accounts as a', 'a.account_id', 'k.account_id')
    .select<KeyRow[]>(
      'k.key_id',
      'k.api_key_hash',
      'k.key_name',
      'k.key_number',
      'k.model_name',
      'k.account_id',
      'a.provider_name',
      'a.priority',
      'k.daily_limit',
      'k.max_concurrency',
      'k.status',
      'k.disabled_kind',
      trx.raw(`split_part(k.api_key_encrypted, ':', 2) AS envelope_version`),
    )
    .orderBy('k.key_id')
    // Held until the import commits; taken in key_id order, the order every multi-row writer of
    // ai_api_keys uses, so the import cannot deadlock with the replicas' counter writes.
    .forNoKeyUpdate('k');
  const rowByHash = new Map(rows.map((r) => [r.api_key_hash, r]));
  const seen = new Set<string>();
  const result = { added: [], changed: [], disabled: [], unchanged: [], alreadyRemoved: 0 } as {
    -readonly [K in keyof KeysSyncResult]: KeysSyncResult[K];
  };

  for (const key of keys) {
    const { hash } = key;
    if (seen.has(hash)) {
      // Config validation rejects a secret under two names; this guards the unique index anyway.
      throw new AikeysError(
        'IMPORT_DUPLICATE_KEY',
        `${key.name} repeats the secret of another key in the config`,
      );
    }
    seen.add(hash);
    const accountId = accountIdByRef.get(key.accountRef);
    if (accountId === undefined) {
      throw new AikeysError(
        'IMPORT_ACCOUNT_MISSING',
        `${key.name} belongs to account ${key.accountRef}, which the config does not define`,
      );
    }
    const row = rowByHash.get(hash);
    if (!row) {
      const keyId = await nextKeyId(trx);
      await trx('ai_api_keys').insert({
        key_id: keyId,
        account_id: accountId,
        api_key_hash: hash,
        api_key_encrypted: seal(key.secret, ring.primary, { keyId, provider: key.provider, accountId }),
        key_name: key.name,
        key_number: key.number,
        model_name: key.model,
        daily_limit: key.dailyLimit,
        max_concurrency: key.maxConcurrency,
        status: 'active',
      });
      result.added.push(entryOf(key));
      continue;
    }
    const changes = diffKey(row, key, accountId);
    const reseal = row.envelope_version !== ENVELOPE_VERSION || row.account_id !== accountId;
    if (reseal) {
      // The plaintext is at hand (it is the config's), so nothing needs opening.
      const binding = { keyId: row.key_id, provider: key.provider, accountId };
      await trx('ai_api_keys')
        .where('key_id', row.key_id)
        .update({ api_key_encrypted: seal(key.secret, ring.primary, binding), updated_at: trx.fn.now() });
    }
    if (changes.length === 0) {
      result.unchanged.push(entryOf(key));
      continue;
    }
    const update: Record<string, unknown> = {
      account_id: accountId,
      key_name: key.name,
      key_number: key.number,
      model_name: key.model,
      daily_limit: key.dailyLimit,
      max_concurrency: key.maxConcurrency,
      updated_at: trx.fn.now(),
    };
    if (isRemoved(row)) {
      // Back in the config: a fresh start, as if newly added, but with its history kept.
      Object.assign(update, {
        status: 'active',
        disabled_kind: null,
        disabled_reason: null,
        consecutive_failures: 0,
        temporary_block_until: null,
      });
    }
    await trx('ai_api_keys').where('key_id', row.key_id).update(update);
    result.changed.push({ ...entryOf(key), changes });
  }

  for (const row of rows) {
    if (seen.has(row.api_key_hash)) continue;
    if (isRemoved(row)) {
      result.alreadyRemoved += 1;
      continue;
    }
    // Whatever disabled it before (manual, breaker, invalid), leaving the config is the stronger fact.
    const reason = removedReason(row.key_name);
    await trx('ai_api_keys').where('key_id', row.key_id).update({
      status: 'disabled',
      disabled_kind: 'removed',
      disabled_reason: reason,
      updated_at: trx.fn.now(),
    });
    result.disabled.push({
      name: row.key_name,
      masked: await maskStored(trx, row.key_id, ring),
      provider: row.provider_name,
      model: row.model_name,
      account: accountRef(row.provider_name, row.priority),
      reason,
    });
  }
  return result;
}
