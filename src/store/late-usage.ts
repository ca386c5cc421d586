/**
 * Usage records that reach Postgres after their day was closed (the usage stream held them through
 * a Postgres outage, or a release was held while Redis was down) are added to that day's rollups by
 * the statement that writes them, so a closed day's rollups always count every record of the day
 * once, whenever it arrives.
 *
 * Once, across the two writers: closing a day and writing usage rows serialise on one advisory lock,
 * exclusive for the close (a short transaction once a day) and shared for the usage writer (many at
 * once). A batch written before a close commits is in the log the close rolls up, and its statement,
 * started under the lock, saw no closed period; a batch written after it sees the period and adds
 * itself. The lock is taken by a statement of its own: a statement's snapshot is taken when it
 * starts, so one that waited for the close inside itself would still not see the period.
 */
import type { Knex } from 'knex';
import { advisoryLockId } from './advisory-lock.js';

const ROLLUP_LOCK_ID = advisoryLockId('aikeys:daily-rollups');

/** Takes the rollups' lock for the transaction: exclusive to close a day, shared to write usage. */
export async function lockRollups(trx: Knex.Transaction, as: 'close' | 'write'): Promise<void> {
  await trx.raw(
    as === 'close'
      ? 'SELECT pg_advisory_xact_lock(?::bigint)'
      : 'SELECT pg_advisory_xact_lock_shared(?::bigint)',
    [ROLLUP_LOCK_ID],
  );
}

/**
 * Common table expressions that add the rows of `rows` (a CTE of new `ai_request_logs` rows with
 * log_id, key_id, model, client, tokens_used, estimated_cost, response_status, created_at) whose
 * day is closed to the rollups: per key always, per key, model and client where the day is
 * detailed. A row's day is its closed period's, in the zone that period was closed in (a row falls
 * in one period; should a change of AI_TIMEZONE make two overlap, the earlier takes it). Days closed
 * before the zone was recorded take no late rows.
 */
export function addLateRows(rows: string): string {
  const sums = `COUNT(*), SUM(tokens_used), SUM(estimated_cost),
    COUNT(*) FILTER (WHERE response_status NOT BETWEEN 200 AND 299)`;
  const add = `requests = t.requests + EXCLUDED.requests, tokens = t.tokens + EXCLUDED.tokens,
    cost = t.cost + EXCLUDED.cost, failures = t.failures + EXCLUDED.failures`;
  return `late AS (
  SELECT DISTINCT ON (r.log_id) r.*, p.period AS day, p.detailed
    FROM ${rows} r
    JOIN ai_maintenance_periods p
      ON p.task = 'reset-daily' AND p.time_zone IS NOT NULL
     AND p.period BETWEEN (r.created_at AT TIME ZONE 'UTC')::date - 1 AND (r.created_at AT TIME ZONE 'UTC')::date + 1
     AND r.created_at >= (p.period)::timestamp AT TIME ZONE p.time_zone
     AND r.created_at < (p.period + 1)::timestamp AT TIME ZONE p.time_zone
   ORDER BY r.log_id, p.period
), late_by_key AS (
  INSERT INTO ai_key_daily_usage AS t (key_id, day, requests, tokens, cost, failures)
  SELECT key_id, day, ${sums} FROM late GROUP BY key_id, day
  ON CONFLICT (key_id, day) DO UPDATE SET ${add}
), late_in_detail AS (
  INSERT INTO ai_key_daily_usage_detail AS t (day, key_id, model, client, requests, tokens, cost, failures)
  SELECT day, key_id, model, COALESCE(client, ''), ${sums} FROM late WHERE detailed
   GROUP BY day, key_id, model, COALESCE(client, '')
  ON CONFLICT (day, key_id, model, client) DO UPDATE SET ${add}
)`;
}
