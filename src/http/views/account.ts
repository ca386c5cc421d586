/**
 * How an account looks in the API and in `aikeys accounts --json`, declared once (see views/key.ts).
 */
import { z } from 'zod';
import type { AccountDetail } from '../../store/account-detail.js';
import type { AccountView } from '../../store/accounts.js';
import { KeySchema, keyJson } from './key.js';

export const AccountSchema = z
  .object({
    account_id: z.number().int(),
    name: z.string(),
    provider: z.string(),
    priority: z.number().int().describe('1 primary, 2 fallback'),
    status: z.enum(['active', 'suspended', 'disabled']),
    total_keys: z.number().int().describe('Every key row, removed ones included'),
    active_keys: z.number().int(),
    used_today: z.number().describe('Tokens today over all its keys'),
    daily_quota: z.number().nullable().describe('Tokens per day; null: no account quota'),
    remaining_quota: z.number().nullable(),
    monthly_budget: z.number().nullable().describe('USD per month; null: no budget'),
  })
  .describe('Account');

export function accountJson(a: AccountView): z.infer<typeof AccountSchema> {
  return {
    account_id: a.accountId,
    name: a.name,
    provider: a.provider,
    priority: a.priority,
    status: a.status,
    total_keys: a.totalKeys,
    active_keys: a.activeKeys,
    used_today: a.usedToday,
    daily_quota: a.dailyQuota,
    remaining_quota: a.remainingQuota,
    monthly_budget: a.monthlyBudget,
  };
}

export const AccountDetailSchema = z.object({
  account: AccountSchema.extend({
    stats: z.object({
      keys: z.number().int().describe('Key rows, removed ones included'),
      active_keys: z.number().int(),
      used_today: z.number(),
      daily_quota: z.number().nullable(),
      monthly_spend: z.number().describe('USD this calendar month in AI_TIMEZONE'),
      monthly_budget: z.number().nullable(),
    }),
  }),
  keys: z
    .array(KeySchema)
    .describe('Keys in the config, by number (removed keys: /api/keys?include_removed=true)'),
});

export function accountDetailJson(detail: AccountDetail): z.infer<typeof AccountDetailSchema> {
  const { account } = detail;
  return {
    account: {
      ...accountJson(account),
      stats: {
        keys: account.totalKeys,
        active_keys: account.activeKeys,
        used_today: account.usedToday,
        daily_quota: account.dailyQuota,
        monthly_spend: detail.monthlySpend,
        monthly_budget: account.monthlyBudget,
      },
    },
    keys: detail.keys.map(keyJson),
  };
}
