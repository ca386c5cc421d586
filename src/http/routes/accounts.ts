/**
 * `GET /api/accounts`: the accounts overview (keys per account, quota use, status), and
 * `GET /api/accounts/:id`: one account with its quota and budget use and its keys.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AikeysError } from '../../core/errors.js';
import { findAccountDetail } from '../../store/account-detail.js';
import { listAccounts } from '../../store/accounts.js';
import { parseInput, routeSchema } from '../api-schema.js';
import type { AdminAppDeps } from '../types.js';
import { AccountDetailSchema, accountDetailJson, AccountSchema, accountJson } from '../views/account.js';

const AccountParams = z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) }).strict();

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
    return accountDetailJson(detail);
  });
}
