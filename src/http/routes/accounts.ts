/** `GET /api/accounts`: the dashboard's accounts overview (keys per account, quota use, status). */
import type { FastifyInstance } from 'fastify';
import { listAccounts } from '../../store/accounts.js';
import type { AdminAppDeps } from '../types.js';

export function registerAccountRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  app.get('/api/accounts', async () => {
    const accounts = await listAccounts(deps.db);
    return {
      accounts: accounts.map((a) => ({
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
      })),
    };
  });
}
