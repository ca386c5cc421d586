import type { KeyStateSnapshot } from '../../src/store/lease-snapshot.js';

/**
 * A Postgres-shaped snapshot of `count` keys (half primary, half fallback, one model, daily limits
 * far above what a run spends), so the bench measures the Redis path alone. Every key has a last use
 * on record and no failures, so hydration counts it as proven: the bench measures a pool in steady
 * service, not the slow start of new keys (one call each until a success).
 */
export function syntheticSnapshot(count: number, provider = 'openai'): KeyStateSnapshot {
  const primary = Math.ceil(count / 2);
  return {
    accounts: [
      {
        accountId: 1,
        provider,
        priority: 1,
        status: 'active',
        dailyQuota: null,
        monthlyBudget: null,
        spentMonthUsd: 0,
      },
      {
        accountId: 2,
        provider,
        priority: 2,
        status: 'active',
        dailyQuota: null,
        monthlyBudget: null,
        spentMonthUsd: 0,
      },
    ],
    keys: Array.from({ length: count }, (_, i) => ({
      keyId: i + 1,
      accountId: i < primary ? 1 : 2,
      provider,
      model: 'gpt-4-turbo',
      dailyLimit: 1_000_000_000_000,
      maxConcurrency: null,
      usedToday: 0,
      status: 'active',
      disabledKind: null,
      disabledReason: null,
      blockUntilMs: null,
      consecutiveFailures: 0,
      lastUsedAtMs: 1,
      updatedAtMs: 0,
    })),
  };
}
