/**
 * The daily reset's Postgres side: closing a day rolls its usage log into `ai_key_daily_usage` (per
 * key) and `ai_key_daily_usage_detail` (per key, model and client) and zeroes the key counters, in
 * one transaction that first claims the day in `ai_maintenance_periods`. The claim's primary key
 * makes it exclusive: a second close of the same day (run again, or by another replica at the same
 * moment, which waits for the first's lock and then finds its claim) changes nothing. Usage records of the
 * day that reach Postgres after its close are added to its rollups as they are written
 * (late-usage.ts). Days are calendar days in AI_TIMEZONE (`YYYY-MM-DD`, see core/time-zone.ts).
 */
import type { Knex } from 'knex';
import { addDays } from '../core/time-zone.js';
import type { Db } from './database.js';
import { retryOnDeadlock } from './deadlock-retry.js';
import { lockKeyRowsInOrder } from './key-state-writes.js';
import { lockRollups } from './late-usage.js';
import { markPoolOrigin } from './pool-origin.js';

export const RESET_TASK = 'reset-daily';

/** `ai_request_logs` rows of local day `:day` in zone `:tz` (bind both), through the created_at index. */
const LOGS_OF_DAY = `l.created_at >= (:day::date)::timestamp AT TIME ZONE :tz
   AND l.created_at < (:day::date + 1)::timestamp AT TIME ZONE :tz`;

/** requests, tokens, cost, failures of a group of log rows `l`, as both rollups store them. */
const LOG_SUMS = `COUNT(*), COALESCE(SUM(l.tokens_used), 0), COALESCE(SUM(l.estimated_cost), 0),
  COUNT(*) FILTER (WHERE l.response_status NOT BETWEEN 200 AND 299)`;

/**
 * A rollup row `t` written again: each figure the larger of the stored and the new one. A day is
 * rolled up once, when it is closed; again only if its closed period was deleted by hand, when log
 * rows may have been pruned since, and those must not take from its history.
 */
const NEVER_LOWER = `requests = GREATEST(t.requests, EXCLUDED.requests), tokens = GREATEST(t.tokens, EXCLUDED.tokens),
  cost = GREATEST(t.cost, EXCLUDED.cost), failures = GREATEST(t.failures, EXCLUDED.failures)`;

/** Whether the reset has closed `day` already. */
export async function isDayClosed(db: Db | Knex.Transaction, day: string): Promise<boolean> {
  const row = await db('ai_maintenance_periods').where({ task: RESET_TASK, period: day }).first('task');
  return row !== undefined;
}

/** The latest day the reset closed before `day` (null: none). */
export async function lastClosedDayBefore(db: Db | Knex.Transaction, day: string): Promise<string | null> {
  const row = await db('ai_maintenance_periods')
    .where('task', RESET_TASK)
    .andWhere('period', '<', day)
    .max<{ last: string | null }>({ last: db.raw("to_char(period, 'YYYY-MM-DD')") })
    .first();
  return row?.last ?? null;
}

/**
 * Writes the rollups of closed day `day` from the usage log: per key (`ai_key_daily_usage`) and
 * per key, model and client (`ai_key_daily_usage_detail`), and marks the day as detailed in `zone`,
 * from which on the usage writer adds the day's late records. Returns the number of keys with a row
 * for the day.
 */
export async function rollUpDay(db: Db | Knex.Transaction, day: string, timeZone: string): Promise<number> {
  const bindings = { day, tz: timeZone };
  const result = await db.raw<{ rowCount: number }>(
    `INSERT INTO ai_key_daily_usage AS t (key_id, day, requests, tokens, cost, failures)
     SELECT l.key_id, :day::date, ${LOG_SUMS}
       FROM ai_request_logs l
      WHERE ${LOGS_OF_DAY}
      GROUP BY l.key_id
     ON CONFLICT (key_id, day) DO UPDATE SET ${NEVER_LOWER}`,
    bindings,
  );
  await db.raw(
    `INSERT INTO ai_key_daily_usage_detail AS t (day, key_id, model, client, requests, tokens, cost, failures)
     SELECT :day::date, l.key_id, l.model, COALESCE(l.client, ''), ${LOG_SUMS}
       FROM ai_request_logs l
      WHERE ${LOGS_OF_DAY}
      GROUP BY l.key_id, l.model, COALESCE(l.client, '')
     ON CONFLICT (day, key_id, model, client) DO UPDATE SET ${NEVER_LOWER}`,
    bindings,
  );
  await db('ai_maintenance_periods')
    .where({ task: RESET_TASK, period: day })
    .update({ detailed: true, time_zone: timeZone });
  return result.rowCount;
}

export interface CloseDayResult {
  /** False: the day was closed already (by an earlier run or another replica); nothing changed. */
  readonly closed: boolean;
  /** Keys with a rollup row for the day. */
  readonly keysRolledUp: number;
  /** Earlier days no reset had closed (the fleet was down at their end), closed with this one. */
  readonly missedDaysClosed: readonly string[];
}

/**
 * How far back a close looks for days no reset closed: the longest AI_LOG_RETENTION_DAYS, beyond
 * which their log rows are gone in any case.
 */
const MAX_MISSED_DAYS = 90;

/**
 * The days after the last closed day before `day` and before `day` itself (at most the latest
 * MAX_MISSED_DAYS); none when no day was ever closed (nothing ran before the first reset).
 */
async function missedDaysBefore(db: Knex.Transaction, day: string): Promise<string[]> {
  const last = await lastClosedDayBefore(db, day);
  if (last === null) return [];
  const missed: string[] = [];
  for (let d = addDays(day, -1); d > last && missed.length < MAX_MISSED_DAYS; d = addDays(d, -1)) {
    missed.unshift(d);
  }
  return missed;
}

/**
 * Claims `day`, rolls it up, and does the reset in Postgres (used_today to 0, exhausted keys back
 * to active, as an operator's reset does), all or nothing, under the rollups' lock (late-usage.ts)
 * so that every usage record of the day is counted once: by this rollup or, written after it, by
 * its writer. Days before it that no reset closed (no replica ran over their end: the scheduled job
 * runs late after a short outage, but once only after a long one) are closed and rolled up with
 * it, while their log rows are still kept; they zero nothing, their counters having gone on into
 * the days after. Usage writes wait while a close runs (about 1 s for a day of a million rows on
 * a 2-core machine).
 */
export async function closeDayInDb(db: Db, day: string, timeZone: string): Promise<CloseDayResult> {
  return retryOnDeadlock(() =>
    db.transaction(async (trx): Promise<CloseDayResult> => {
      await lockRollups(trx, 'close');
      const claimed = await trx('ai_maintenance_periods')
        .insert({ task: RESET_TASK, period: day })
        .onConflict(['task', 'period'])
        .ignore()
        .returning('task');
      if (claimed.length === 0) return { closed: false, keysRolledUp: 0, missedDaysClosed: [] };
      const keysRolledUp = await rollUpDay(trx, day, timeZone);
      const missedDaysClosed = await missedDaysBefore(trx, day);
      if (missedDaysClosed.length > 0) {
        await trx('ai_maintenance_periods').insert(
          missedDaysClosed.map((period) => ({ task: RESET_TASK, period })),
        );
        for (const missed of missedDaysClosed) await rollUpDay(trx, missed, timeZone);
      }
      await markPoolOrigin(trx);
      await lockKeyRowsInOrder(trx);
      await trx('ai_api_keys').update({ used_today: 0 });
      await trx('ai_api_keys')
        .where('status', 'exhausted')
        .update({ status: 'active', updated_at: trx.fn.now() });
      return { closed: true, keysRolledUp, missedDaysClosed };
    }),
  );
}
