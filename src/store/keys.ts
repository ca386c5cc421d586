/**
 * Read queries on `ai_api_keys` for display and lookup. Listing queries never select
 * `api_key_encrypted`: the envelope leaves Postgres only through `loadSealedKey(s)`, at the moment a
 * key is about to be used, so there is one place to audit.
 */
import type { StoredKey } from '../crypto/stored-key.js';
import type { Db } from './database.js';
import { effectiveBlockUntil, effectiveKeyStatus } from './key-status-sql.js';

/**
 * A key's status, as `ai_api_keys.status` stores it and the lease engine keeps it in Redis; every
 * list of statuses (the API filter, the metrics) is this one.
 */
export const KEY_STATUSES = ['active', 'temporarily_blocked', 'exhausted', 'disabled'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];
/** Why a disabled key is disabled: by hand, by its breaker, refused by the provider, or gone from the config. */
export type DisabledKind = 'manual' | 'breaker' | 'invalid_key' | 'removed';

/** A key as operators see it, joined with its account. Carries no secret material. */
export interface KeyView {
  readonly keyId: number;
  readonly name: string;
  readonly number: number;
  readonly accountId: number;
  readonly accountName: string;
  readonly provider: string;
  readonly priority: number;
  readonly model: string;
  readonly status: KeyStatus;
  readonly usedToday: number;
  readonly dailyLimit: number;
  readonly maxConcurrency: number | null;
  readonly consecutiveFailures: number;
  readonly temporaryBlockUntil: Date | null;
  readonly disabledReason: string | null;
  readonly disabledKind: DisabledKind | null;
  readonly lastUsedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface KeyViewRow {
  key_id: number;
  key_name: string;
  key_number: number;
  account_id: number;
  account_name: string;
  provider_name: string;
  priority: number;
  model_name: string;
  status: KeyStatus;
  used_today: number;
  daily_limit: number;
  max_concurrency: number | null;
  consecutive_failures: number;
  temporary_block_until: Date | null;
  disabled_reason: string | null;
  disabled_kind: DisabledKind | null;
  last_used_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

// Spelled out rather than `k.*` so that a new secret-bearing column can never leak into a listing.
const VIEW_COLUMNS = [
  'k.key_id',
  'k.key_name',
  'k.key_number',
  'k.account_id',
  'a.account_name',
  'a.provider_name',
  'a.priority',
  'k.model_name',
  'k.used_today',
  'k.daily_limit',
  'k.max_concurrency',
  'k.consecutive_failures',
  'k.disabled_reason',
  'k.disabled_kind',
  'k.last_used_at',
  'k.created_at',
  'k.updated_at',
] as const;

export function toView(row: KeyViewRow): KeyView {
  return {
    keyId: row.key_id,
    name: row.key_name,
    number: row.key_number,
    accountId: row.account_id,
    accountName: row.account_name,
    provider: row.provider_name,
    priority: row.priority,
    model: row.model_name,
    status: row.status,
    usedToday: row.used_today,
    dailyLimit: row.daily_limit,
    maxConcurrency: row.max_concurrency,
    consecutiveFailures: row.consecutive_failures,
    temporaryBlockUntil: row.temporary_block_until,
    disabledReason: row.disabled_reason,
    disabledKind: row.disabled_kind,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Keys joined with their accounts, as KeyViewRow; the base of every listing (key-listing.ts too). */
export function viewQuery(db: Db) {
  return db('ai_api_keys as k')
    .join('ai_accounts as a', 'a.account_id', 'k.account_id')
    .select<KeyViewRow[]>(
      ...VIEW_COLUMNS,
      db.raw(`${effectiveKeyStatus('k')} AS status`),
      db.raw(`${effectiveBlockUntil('k')} AS temporary_block_until`),
    );
}

export interface KeyFilter {
  readonly provider?: string;
  readonly accountId?: number;
  readonly status?: KeyStatus;
  /** Keys disabled because they left the config are history; listings hide them unless asked. */
  readonly includeRemoved?: boolean;
}

/** Keys ordered by number, then id (a number reused after a removal lists the live key last). */
export async function listKeys(db: Db, filter: KeyFilter = {}): Promise<KeyView[]> {
  const query = viewQuery(db).orderBy([{ column: 'k.key_number' }, { column: 'k.key_id' }]);
  if (filter.provider !== undefined) query.where('a.provider_name', filter.provider);
  if (filter.accountId !== undefined) query.where('k.account_id', filter.accountId);
  if (filter.status !== undefined) query.whereRaw(`${effectiveKeyStatus('k')} = ?`, [filter.status]);
  if (filter.includeRemoved !== true) {
    query.whereRaw(`k.disabled_kind IS DISTINCT FROM 'removed'`);
  }
  return (await query).map(toView);
}

export async function findKeyById(db: Db, keyId: number): Promise<KeyView | undefined> {
  const row = await viewQuery(db).where('k.key_id', keyId).first();
  return row ? toView(row) : undefined;
}

/**
 * `key_N` can name several rows over time (a secret replaced under the same number leaves the old
 * row disabled as 'removed'); the live one wins, then the newest.
 */
export async function findKeyByName(db: Db, name: string): Promise<KeyView | undefined> {
  const row = await viewQuery(db)
    .where('k.key_name', name)
    .orderByRaw(`CASE WHEN k.disabled_kind = 'removed' THEN 1 ELSE 0 END`)
    .orderBy('k.key_id', 'desc')
    .first();
  return row ? toView(row) : undefined;
}

/** A stored key as it is opened: its envelope and the row facts the envelope is bound to. */
export interface SealedKeyRow extends StoredKey {
  readonly keyName: string;
}

interface SealedRow {
  key_id: number;
  key_name: string;
  account_id: number;
  provider_name: string;
  api_key_hash: string;
  api_key_encrypted: string;
}

function sealedQuery(db: Db) {
  return db('ai_api_keys as k')
    .join('ai_accounts as a', 'a.account_id', 'k.account_id')
    .select<SealedRow[]>(
      'k.key_id',
      'k.key_name',
      'k.account_id',
      'a.provider_name',
      'k.api_key_hash',
      'k.api_key_encrypted',
    );
}

function sealedKeyOf(r: SealedRow): SealedKeyRow {
  return {
    keyId: r.key_id,
    keyName: r.key_name,
    accountId: r.account_id,
    provider: r.provider_name,
    hash: r.api_key_hash,
    envelope: r.api_key_encrypted,
  };
}

/**
 * The envelope of one key with the row it is bound to, for the process about to open it with its
 * ring right before use. With loadSealedKeys, the only queries that read `api_key_encrypted`.
 */
export async function loadSealedKey(db: Db, keyId: number): Promise<SealedKeyRow | undefined> {
  const [row] = await sealedQuery(db).where('k.key_id', keyId);
  return row === undefined ? undefined : sealedKeyOf(row);
}

/**
 * Envelopes of every key that may be leased (not removed from the config), so a worker can hold
 * them in memory and keep serving through a Postgres outage. Still sealed: opened only at use.
 */
export async function loadSealedKeys(db: Db): Promise<SealedKeyRow[]> {
  const rows = await sealedQuery(db).whereRaw(`k.disabled_kind IS DISTINCT FROM 'removed'`);
  return rows.map(sealedKeyOf);
}
