/**
 * Prometheus metrics for the admin server, on a Registry of its own (not prom-client's global one),
 * so several apps in one process (tests, the demo) never collide. Gauges are computed at scrape
 * time from Postgres and the BullMQ queues (depth and oldest waiting job: ../observability/queue-gauges.ts):
 * no timers, nothing to stop.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { QUEUE_METRIC_NAMES, registerQueueGauges } from '../observability/queue-gauges.js';
import { listAccounts, type AccountView } from '../store/accounts.js';
import { effectiveKeyStatus } from '../store/key-status-sql.js';
import { KEY_STATUSES } from '../store/keys.js';
import { countUsageRejects } from '../store/usage-rejects.js';
import type { AdminAppDeps } from './types.js';

export const METRIC_NAMES = {
  keysByStatus: 'aikeys_keys',
  accountRemainingQuota: 'aikeys_account_remaining_quota_tokens',
  accountUsedToday: 'aikeys_account_used_today_tokens',
  queueJobs: QUEUE_METRIC_NAMES.queueJobs,
  usageRejects: 'aikeys_usage_rejects_total',
} as const;

async function keyCountsByStatus(deps: AdminAppDeps): Promise<Map<string, number>> {
  const status = effectiveKeyStatus('ai_api_keys');
  const rows = await deps
    .db('ai_api_keys')
    .select<{ status: string; n: number }[]>(
      deps.db.raw(`${status} AS status`),
      deps.db.raw('COUNT(*)::bigint AS n'),
    )
    // Keys removed from the config are history, not part of the pool.
    .whereRaw(`disabled_kind IS DISTINCT FROM 'removed'`)
    .groupByRaw(status);
  return new Map(rows.map((r) => [r.status, r.n]));
}

function accountLabels(a: AccountView) {
  return { account: a.name, provider: a.provider, priority: String(a.priority) };
}

export function createMetricsRegistry(deps: AdminAppDeps): Registry {
  const registry = new Registry();

  new Gauge({
    name: METRIC_NAMES.keysByStatus,
    help: 'API keys in the pool by status (keys removed from the config not counted)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await keyCountsByStatus(deps);
      this.reset();
      for (const status of KEY_STATUSES) this.set({ status }, counts.get(status) ?? 0);
    },
  });

  new Gauge({
    name: METRIC_NAMES.accountUsedToday,
    help: "Tokens used today by each account's keys",
    labelNames: ['account', 'provider', 'priority'],
    registers: [registry],
    async collect() {
      const accounts = await listAccounts(deps.db);
      this.reset();
      for (const a of accounts) this.set(accountLabels(a), a.usedToday);
    },
  });

  new Gauge({
    name: METRIC_NAMES.accountRemainingQuota,
    help: 'Tokens left in each account daily quota (accounts without a quota not shown)',
    labelNames: ['account', 'provider', 'priority'],
    registers: [registry],
    async collect() {
      const accounts = await listAccounts(deps.db);
      this.reset();
      for (const a of accounts) {
        if (a.remainingQuota !== null) this.set(accountLabels(a), a.remainingQuota);
      }
    },
  });

  registerQueueGauges(registry, deps.queues);

  // A counter, read from the table at scrape time: rows are only ever added there, and every
  // replica's flusher writes them, so the table (not one process's memory) is the count.
  new Counter({
    name: METRIC_NAMES.usageRejects,
    help: 'Usage records set aside in ai_usage_rejects (refused by Postgres or undecodable)',
    registers: [registry],
    async collect() {
      const n = await countUsageRejects(deps.db);
      this.reset();
      this.inc(n);
    },
  });

  return registry;
}
