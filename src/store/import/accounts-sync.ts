/**
 * Brings `ai_accounts` in line with the config's accounts, found by (provider_name, priority).
 * Accounts the config no longer has are left as they are: their keys' history points at them.
 * Runs inside the import's transaction.
 */
import type { Knex } from 'knex';
import type { AccountConfig } from '../../config/types.js';
import type { ChangedAccount, FieldChange, ImportedAccount } from './report.js';

interface AccountRow {
  account_id: number;
  account_name: string;
  provider_name: string;
  priority: number;
  daily_quota: number | null;
  monthly_budget: number | null;
}

export interface AccountsSyncResult {
  /** `<provider>:<priority>` -> account_id, for every account in the config. */
  readonly idByRef: ReadonlyMap<string, number>;
  readonly added: ImportedAccount[];
  readonly changed: ChangedAccount[];
  readonly unchanged: ImportedAccount[];
}

export function accountRef(provider: string, priority: number): string {
  return `${provider}:${priority}`;
}

function diffAccount(row: AccountRow, account: AccountConfig): FieldChange[] {
  const changes: FieldChange[] = [];
  if (row.account_name !== account.name)
    changes.push({ field: 'name', from: row.account_name, to: account.name });
  if (row.daily_quota !== account.dailyQuota) {
    changes.push({ field: 'dailyQuota', from: row.daily_quota, to: account.dailyQuota });
  }
  if (row.monthly_budget !== account.monthlyBudget) {
    changes.push({ field: 'monthlyBudget', from: row.monthly_budget, to: account.monthlyBudget });
  }
  return changes;
}

export async function syncAccounts(
  trx: Knex.Transaction,
  accounts: readonly AccountConfig[],
): Promise<AccountsSyncResult> {
  const rows = await trx('ai_accounts').select<AccountRow[]>(
    'account_id',
    'account_name',
    'provider_name',
    'priority',
    'daily_quota',
    'monthly_budget',
  );
  const byRef = new Map(rows.map((r) => [accountRef(r.provider_name, r.priority), r]));
  const result: AccountsSyncResult = { idByRef: new Map(), added: [], changed: [], unchanged: [] };
  const idByRef = result.idByRef as Map<string, number>;

  for (const account of accounts) {
    const ref = accountRef(account.provider, account.priority);
    const entry = { ref, name: account.name };
    const row = byRef.get(ref);
    if (!row) {
      const [inserted] = await trx('ai_accounts')
        .insert({
          account_name: account.name,
          provider_name: account.provider,
          priority: account.priority,
          daily_quota: account.dailyQuota,
          monthly_budget: account.monthlyBudget,
        })
        .returning<{ account_id: number }[]>('account_id');
      idByRef.set(ref, inserted!.account_id);
      result.added.push(entry);
      continue;
    }
    idByRef.set(ref, row.account_id);
    const changes = diffAccount(row, account);
    if (changes.length === 0) {
      result.unchanged.push(entry);
      continue;
    }
    await trx('ai_accounts').where('account_id', row.account_id).update({
      account_name: account.name,
      daily_quota: account.dailyQuota,
      monthly_budget: account.monthlyBudget,
      updated_at: trx.fn.now(),
    });
    result.changed.push({ ...entry, changes });
  }
  return result;
}
