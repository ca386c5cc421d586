/**
 * Read queries on `ai_accounts` with their keys' counts and today's usage (the accounts API, the
 * dashboard and the metrics).
 */
import type { Db } from './database.js';
import { effectiveKeyStatus } from './key-status-sql.js';

export type AccountStatus = 'active' | 'suspended' | 'disabled';

export interface AccountView {
  readonly accountId: number;
  readonly name: string;
  readonly provider: string;
  readonly priority: number;
  readonly status: AccountStatus;
  /** Tokens per day for the whole account; null = no account-level quota. */
  readonly dailyQuota: number | null;
  readonly monthlyBudget: number | null;
  /** Every key row of the account, including ones disabled or removed from the config. */
  readonly totalKeys: number;
  readonly activeKeys: number;
  /** Sum of `used_today` over all the account's keys: removed keys spent tokens today too. */
  readonly usedToday: number;
  /** dailyQuota - usedToday, never below 0 (usage may overshoot by the last call's tokens); null without a quota. */
  readonly remainingQuota: number | null;
}

interface AccountRow {
  account_id: number;
  account_name: string;
  provider_name: string;
  priority: number;
  status: AccountStatus;
  daily_quota: number | null;
  monthly_budget: number | null;
  total_keys: number;
  active_keys: number;
  used_today: number;
}

function toView(row: AccountRow): AccountView {
  return {
    accountId: row.account_id,
    name: row.account_name,
    provider: row.provider_name,
    priority: row.priority,
    status: row.status,
    dailyQuota: row.daily_quota,
    monthlyBudget: row.monthly_budget,
    totalKeys: row.total_keys,
    activeKeys: row.active_keys,
    usedToday: row.used_today,
    remainingQuota: row.daily_quota === null ? null : Math.max(0, row.daily_quota - row.used_today),
  };
}

function statsQuery(db: Db) {
  return db('ai_accounts as a')
    .leftJoin('ai_api_keys as k', 'k.account_id', 'a.account_id')
    .groupBy('a.account_id')
    .select<AccountRow[]>(
      'a.account_id',
      'a.account_name',
      'a.provider_name',
      'a.priority',
      'a.status',
      'a.daily_quota',
      'a.monthly_budget',
      // COUNT and SUM over BIGINT come back as BIGINT/NUMERIC; database.ts parses both as numbers.
      db.raw('COUNT(k.key_id)::bigint AS total_keys'),
      db.raw(`COUNT(k.key_id) FILTER (WHERE ${effectiveKeyStatus('k')} = 'active')::bigint AS active_keys`),
      db.raw('COALESCE(SUM(k.used_today), 0)::bigint AS used_today'),
    );
}

/** Accounts by provider, then priority (the order the lease engine tries them). */
export async function listAccounts(db: Db): Promise<AccountView[]> {
  const rows = await statsQuery(db).orderBy([{ column: 'a.provider_name' }, { column: 'a.priority' }]);
  return rows.map(toView);
}

export async function findAccountById(db: Db, accountId: number): Promise<AccountView | undefined> {
  const row = await statsQuery(db).where('a.account_id', accountId).first();
  return row ? toView(row) : undefined;
}
