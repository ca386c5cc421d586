/**
 * The hydration query: everything the lease engine's Redis state is built from, read in one
 * repeatable-read transaction so accounts, keys and this month's spend agree. Never selects
 * `api_key_encrypted`: the hot state holds no secret material.
 */
import type { Db } from './database.js';

export interface AccountStateRow {
  readonly accountId: number;
  readonly provider: string;
  readonly priority: number;
  readonly status: string;
  readonly dailyQuota: number | null;
  readonly monthlyBudget: number | null;
  /** Spend this calendar month in AI_TIMEZONE (SPENT_THIS_MONTH below). */
  readonly spentMonthUsd: number;
}

export interface KeyStateRow {
  readonly keyId: number;
  readonly accountId: number;
  readonly provider: string;
  readonly model: string;
  readonly dailyLimit: number;
  readonly maxConcurrency: number | null;
  /**
   * Tokens spent today: the larger of `used_today` and the tokens logged for the key since today's
   * reset (see USED_TODAY below).
   */
  readonly usedToday: number;
  readonly status: string;
  readonly disabledKind: string | null;
  readonly disabledReason: string | null;
  readonly blockUntilMs: number | null;
  readonly consecutiveFailures: number;
  readonly lastUsedAtMs: number | null;
  readonly updatedAtMs: number;
}

export interface KeyStateSnapshot {
  readonly accounts: readonly AccountStateRow[];
  /** Least recently used first (never used first), then by key id: the lease order of equal keys. */
  readonly keys: readonly KeyStateRow[];
}

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

/**
 * A key's spend today as hydration sees it. `used_today` is written from Redis about once a second,
 * so when Redis loses its data (FLUSHALL, a restart without persistence, a failover to an empty
 * replica) the last second's counts exist only in the usage log, whose records carry them to Postgres
 * independently. Taking the larger of the two means a rebuilt state never forgets tokens Postgres has
 * logged; measured in test/fault/redis-flushall.fault.test.ts, where `used_today` alone lost 5,000 of
 * 12,000 tokens. The cost: an operator's `reset-daily` during the day is undone for tokens logged
 * before it if Redis loses its data later that day (the quota then errs on the safe side). "Today"
 * starts at local midnight in AI_TIMEZONE (bound as :tz, the clock as :now), where the daily reset
 * puts it. Reads today's rows through the (key_id, created_at) index; it runs only when the state is
 * built.
 */
const TODAY_STARTS = `date_trunc('day', :now::timestamptz AT TIME ZONE :tz) AT TIME ZONE :tz`;
const USED_TODAY = `GREATEST(k.used_today, (
  SELECT COALESCE(SUM(l.tokens_used), 0) FROM ai_request_logs l
   WHERE l.key_id = k.key_id AND l.created_at >= ${TODAY_STARTS}))::bigint`;

/**
 * An account's spend this calendar month in AI_TIMEZONE: the daily rollups of the days the reset
 * closed (kept after their log rows are pruned), plus the logged calls of every day it has not
 * closed (today, and any day whose reset did not run). So it is right whether or not a reset ran on
 * the 1st or on any other day. Rollups are per key and count for the key's current account.
 */
const MONTH_STARTS = `date_trunc('month', :now::timestamptz AT TIME ZONE :tz)`;
const CLOSED_DAY = `SELECT 1 FROM ai_maintenance_periods p WHERE p.task = 'reset-daily' AND p.period = `;
export const SPENT_THIS_MONTH = `(
  SELECT COALESCE(SUM(d.cost), 0) FROM ai_key_daily_usage d
    JOIN ai_api_keys dk ON dk.key_id = d.key_id
   WHERE dk.account_id = a.account_id
     AND d.day >= ${MONTH_STARTS}::date AND d.day < (:now::timestamptz AT TIME ZONE :tz)::date
     AND EXISTS (${CLOSED_DAY}d.day)
) + (
  SELECT COALESCE(SUM(l.estimated_cost), 0) FROM ai_request_logs l
   WHERE l.account_id = a.account_id AND l.created_at >= ${MONTH_STARTS} AT TIME ZONE :tz
     AND NOT EXISTS (${CLOSED_DAY}(l.created_at AT TIME ZONE :tz)::date)
)`;

export interface SnapshotOptions {
  /** AI_TIMEZONE: where today and this month begin (default UTC). */
  readonly timeZone?: string;
  /** The clock (default: now); tests pass one in. */
  readonly now?: Date;
}

export async function loadKeyStateSnapshot(db: Db, options: SnapshotOptions = {}): Promise<KeyStateSnapshot> {
  const clock = { now: options.now ?? new Date(), tz: options.timeZone ?? 'UTC' };
  return db.transaction(
    async (trx) => {
      const accounts = await trx.raw<{
        rows: {
          account_id: number;
          provider_name: string;
          priority: number;
          status: string;
          daily_quota: number | null;
          monthly_budget: number | null;
          spent: number | null;
        }[];
      }>(
        `SELECT a.account_id, a.provider_name, a.priority, a.status, a.daily_quota, a.monthly_budget,
                ${SPENT_THIS_MONTH} AS spent
           FROM ai_accounts a ORDER BY a.account_id`,
        clock,
      );
      const keys = await trx('ai_api_keys as k')
        .join('ai_accounts as a', 'a.account_id', 'k.account_id')
        .orderByRaw('k.last_used_at ASC NULLS FIRST, k.key_id ASC')
        .select<
          {
            key_id: number;
            account_id: number;
            provider_name: string;
            model_name: string;
            daily_limit: number;
            max_concurrency: number | null;
            used_today: number;
            status: string;
            disabled_kind: string | null;
            disabled_reason: string | null;
            temporary_block_until: Date | null;
            consecutive_failures: number;
            last_used_at: Date | null;
            updated_at: Date;
          }[]
        >(
          'k.key_id',
          'k.account_id',
          'a.provider_name',
          'k.model_name',
          'k.daily_limit',
          'k.max_concurrency',
          trx.raw(`${USED_TODAY} AS used_today`, clock),
          'k.status',
          'k.disabled_kind',
          'k.disabled_reason',
          'k.temporary_block_until',
          'k.consecutive_failures',
          'k.last_used_at',
          'k.updated_at',
        );
      return {
        accounts: accounts.rows.map((r) => ({
          accountId: r.account_id,
          provider: r.provider_name,
          priority: r.priority,
          status: r.status,
          dailyQuota: r.daily_quota,
          monthlyBudget: r.monthly_budget,
          spentMonthUsd: Number(r.spent ?? 0),
        })),
        keys: keys.map((r) => ({
          keyId: r.key_id,
          accountId: r.account_id,
          provider: r.provider_name,
          model: r.model_name,
          dailyLimit: r.daily_limit,
          maxConcurrency: r.max_concurrency,
          usedToday: Number(r.used_today),
          status: r.status,
          disabledKind: r.disabled_kind,
          disabledReason: r.disabled_reason,
          blockUntilMs: ms(r.temporary_block_until),
          consecutiveFailures: r.consecutive_failures,
          lastUsedAtMs: ms(r.last_used_at),
          updatedAtMs: r.updated_at.getTime(),
        })),
      };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}
