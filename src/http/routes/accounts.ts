/**
 * `GET /api/accounts`: the accounts overview (keys per account, quota use, status), and
 * `GET /api/accounts/:id`: one account with its quota and budget use and its keys.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AikeysError } from '../../core/errors.js';
import { findAccountDetail } from '../../store/account-detail.js';
import { listAccounts, type AccountView } from '../../store/accounts.js';
import { parseInput, routeSchema } from '../api-schema.js';
import type { AdminAppDeps } from '../types.js';
import { KeySchema, keyJson } from '../views/key.js';

const AccountSchema = z
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

function accountJson(a: AccountView): z.infer<typeof AccountSchema> {
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

const AccountParams = z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) }).strict();

const AccountDetailSchema = z.object({
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

export function registerAccountRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  const listSchema = routeSchema({
    summary: 'List accounts',
    description: 'Accounts by provider, then priority, with key counts and quota use today.',
    tags: ['accounts'],
    response: z.object({ accounts: z.array(AccountSchema) }),
  });
  app.get('/api/accounts', { schema: listSchema }, async () => {
    const accounts = await listAccounts(deps.db);
    return { accounts: accounts.map(accountJson) };
  });

  const detailSchema = routeSchema({
    summary: 'One account',
    description: 'The account, its use of its daily quota and monthly budget, and its keys.',
    tags: ['accounts'],
    params: AccountParams,
    response: AccountDetailSchema,
  });
  app.get('/api/accounts/:id', { schema: detailSchema }, async (request) => {
    const { id } = parseInput(AccountParams, request.params, 'params');
    const detail = await findAccountDetail(deps.db, id, { timeZone: deps.config.system.timeZone });
    if (detail === undefined) throw new AikeysError('ACCOUNT_NOT_FOUND', `No account with id ${id}`);
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
  });
}
