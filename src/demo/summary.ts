/** The demo's closing table: per key its account, status, requests, tokens, cost, failures and why. */
import Table from 'cli-table3';
import type { Db } from '../store/database.js';
import { effectiveKeyStatus } from '../store/key-status-sql.js';

export interface KeySummaryRow {
  keyName: string;
  accountName: string;
  status: string;
  requests: number;
  failures: number;
  tokens: number;
  cost: number;
  usedToday: number;
  dailyLimit: number;
  reason: string | null;
  /** The block's end as stored, also once it has passed (the status then reads active). */
  blockUntil: Date | null;
}

export async function keySummary(db: Db): Promise<KeySummaryRow[]> {
  const rows = await db.raw(`
    SELECT k.key_name, a.account_name, ${effectiveKeyStatus('k')} AS status, k.used_today, k.daily_limit,
           k.disabled_reason, k.temporary_block_until,
           COUNT(l.log_id)::int AS requests,
           COUNT(l.log_id) FILTER (WHERE l.response_status NOT BETWEEN 200 AND 299)::int AS failures,
           COALESCE(SUM(l.tokens_used), 0)::bigint AS tokens,
           COALESCE(SUM(l.estimated_cost), 0)::float8 AS cost
      FROM ai_api_keys k
      JOIN ai_accounts a ON a.account_id = k.account_id
      LEFT JOIN ai_request_logs l ON l.key_id = k.key_id
     GROUP BY k.key_id, a.account_id
     ORDER BY k.key_number`);
  return (rows.rows as Record<string, unknown>[]).map((r) => ({
    keyName: String(r.key_name),
    accountName: String(r.account_name),
    status: String(r.status),
    requests: Number(r.requests),
    failures: Number(r.failures),
    tokens: Number(r.tokens),
    cost: Number(r.cost),
    usedToday: Number(r.used_today),
    dailyLimit: Number(r.daily_limit),
    reason: (r.disabled_reason as string | null) ?? null,
    blockUntil: (r.temporary_block_until as Date | null) ?? null,
  }));
}

function bar(value: number, max: number, width = 16): string {
  if (max <= 0) return '';
  const cells = Math.round((value / max) * width);
  return '█'.repeat(cells) + '·'.repeat(width - cells);
}

function why(row: KeySummaryRow): string {
  if (row.status === 'disabled') return row.reason ?? 'disabled';
  if (row.status === 'temporarily_blocked')
    return `rate limited; blocked until ${row.blockUntil?.toISOString() ?? '?'}`;
  // The unblock task has not cleared the column yet: the key serves again, its story still shows.
  if (row.blockUntil) return `rate limited; block ended ${row.blockUntil.toISOString()}`;
  if (row.status === 'exhausted') return 'provider said the quota is used up';
  if (row.usedToday >= row.dailyLimit * 0.9)
    return `daily limit nearly used (${row.usedToday}/${row.dailyLimit})`;
  return '';
}

export function renderKeySummary(rows: readonly KeySummaryRow[]): string {
  const table = new Table({
    head: ['key', 'account', 'status', 'requests', '', 'tokens', 'cost $', 'failures', 'why'],
    style: { head: [], border: [] },
  });
  const max = Math.max(0, ...rows.map((r) => r.requests));
  for (const r of rows) {
    table.push([
      r.keyName,
      r.accountName,
      r.status,
      r.requests,
      bar(r.requests, max),
      r.tokens,
      r.cost.toFixed(6),
      r.failures,
      why(r),
    ]);
  }
  return table.toString();
}
