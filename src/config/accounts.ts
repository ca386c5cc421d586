/**
 * How keys form accounts: per provider, keys sorted by N are halved; the first ceil(n/2) form the
 * primary account (priority 1), the rest the fallback (priority 2). A provider with one key has only
 * a primary. Ids follow providers alphabetically, then priority, so they are stable for a given file.
 */
import type { AccountConfig } from './types.js';

export interface AccountKey {
  readonly number: number;
  readonly provider: string;
  readonly dailyLimit: number;
}

export interface AccountOverrides {
  /** `AI_ACCOUNT_DAILY_QUOTA`; null = the sum of the account's keys' daily limits. */
  readonly accountDailyQuota: number | null;
  /** `AI_ACCOUNT_MONTHLY_BUDGET`; null = none. */
  readonly accountMonthlyBudget: number | null;
}

export interface AccountSplit {
  readonly accounts: readonly AccountConfig[];
  /** Key number -> AccountConfig.ref. */
  readonly refByKey: ReadonlyMap<number, string>;
}

export function accountRef(provider: string, priority: 1 | 2): string {
  return `${provider}:${priority}`;
}

export function accountName(priority: 1 | 2, provider: string, nameProvider: boolean): string {
  if (priority === 1) return nameProvider ? `Primary Account (${provider})` : 'Primary Account';
  return nameProvider ? `Secondary Account (Fallback, ${provider})` : 'Secondary Account (Fallback)';
}

export function splitAccounts(keys: readonly AccountKey[], overrides: AccountOverrides): AccountSplit {
  const byProvider = new Map<string, AccountKey[]>();
  for (const key of keys) {
    const list = byProvider.get(key.provider) ?? [];
    list.push(key);
    byProvider.set(key.provider, list);
  }
  const providers = [...byProvider.keys()].sort();
  const nameProvider = providers.length > 1;
  const accounts: AccountConfig[] = [];
  const refByKey = new Map<number, string>();

  for (const provider of providers) {
    const sorted = [...(byProvider.get(provider) ?? [])].sort((a, b) => a.number - b.number);
    const primaryCount = Math.ceil(sorted.length / 2);
    const halves: [1 | 2, AccountKey[]][] = [
      [1, sorted.slice(0, primaryCount)],
      [2, sorted.slice(primaryCount)],
    ];
    for (const [priority, members] of halves) {
      if (members.length === 0) continue;
      const ref = accountRef(provider, priority);
      for (const key of members) refByKey.set(key.number, ref);
      accounts.push({
        ref,
        id: accounts.length + 1,
        name: accountName(priority, provider, nameProvider),
        provider,
        priority,
        dailyQuota: overrides.accountDailyQuota ?? members.reduce((sum, key) => sum + key.dailyLimit, 0),
        monthlyBudget: overrides.accountMonthlyBudget,
        keyNumbers: members.map((key) => key.number),
      });
    }
  }
  return { accounts, refByKey };
}
