/**
 * Writes the lease engine's key state back to `ai_api_keys`, so the dashboard and a rehydration see
 * it. Values are absolute (Redis's current numbers, not increments): writing one twice, or late,
 * converges instead of double counting.
 *
 * Replicas write the same rows at once. Every write that touches several rows locks them in key_id
 * order first, the one order all writers share, so no two writes can each hold a row the other waits
 * for (Postgres would abort one of them with "deadlock detected"). The lock is FOR NO KEY UPDATE,
 * the one these updates take anyway (no key column changes). Each write is idempotent and is run
 * again should Postgres abort it all the same (./deadlock-retry.ts).
 */
import type { Knex } from 'knex';
import type { Db } from './database.js';
import { retryOnDeadlock } from './deadlock-retry.js';
import { blockEnded } from './key-status-sql.js';
import { asPoolWrite, markPoolOrigin } from './pool-origin.js';

/** One key's state as the lease engine reports it (structurally the engine's KeyState). */
export interface KeyStateWrite {
  readonly keyId: number;
  readonly status: string;
  readonly disabledKind: string | null;
  readonly disabledReason: string | null;
  readonly blockUntilMs: number | null;
  readonly consecutiveFailures: number;
  readonly usedToday: number;
  readonly lastUsedAtMs: number | null;
}

/** What a counters-only write needs of a key's state. */
export type KeyCountersWrite = Pick<
  KeyStateWrite,
  'keyId' | 'usedToday' | 'consecutiveFailures' | 'lastUsedAtMs'
>;

/**
 * Postgres timestamps and JS Dates both end long before a double does: a block end or last use
 * beyond them (Infinity, 1e300) would make an Invalid Date, and the statement carrying it, with
 * every other key of the same flush, would fail again on each retry. Such a time is clamped to the
 * last moment of year 9999 instead (the lease engine never sets one that far; this only keeps one
 * bad value from stopping all key writes). NaN means no time at all.
 */
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function toDate(ms: number | null): Date | null {
  if (ms === null || Number.isNaN(ms)) return null;
  return new Date(Math.min(Math.max(ms, 0), LATEST_MS));
}

/** Status, reason, block and counters of one key: used after every status change. */
export async function writeKeyState(db: Db, s: KeyStateWrite): Promise<void> {
  const disabled = s.status === 'disabled';
  const row = {
    status: s.status,
    disabled_kind: disabled ? s.disabledKind : null,
    disabled_reason: disabled ? (s.disabledReason ?? '').slice(0, 255) : null,
    temporary_block_until: s.status === 'temporarily_blocked' ? toDate(s.blockUntilMs) : null,
    consecutive_failures: s.consecutiveFailures,
    used_today: s.usedToday,
    last_used_at: toDate(s.lastUsedAtMs),
    updated_at: db.fn.now(),
  };
  await retryOnDeadlock(() =>
    asPoolWrite(db, (trx) => trx('ai_api_keys').where('key_id', s.keyId).update(row)),
  );
}

/**
 * Counters only (the hot path's batched write-behind); one statement for the whole batch. Replicas
 * flush independently, so an older snapshot can arrive after a newer one: a row whose last use is
 * newer than the snapshot's keeps its counters.
 */
export async function writeKeyCounters(db: Db, states: readonly KeyCountersWrite[]): Promise<void> {
  if (states.length === 0) return;
  const values = states.map(() => '(?::int, ?::bigint, ?::int, ?::timestamptz)').join(', ');
  const bindings = states.flatMap((s) => [
    s.keyId,
    s.usedToday,
    s.consecutiveFailures,
    toDate(s.lastUsedAtMs),
  ]);
  // The locking CTE takes the rows in key_id order (ORDER BY runs before the lock); the UPDATE then
  // finds them already held. Without it the join would lock them in the batch's own order.
  const sql = `WITH v(key_id, used_today, failures, last_used_at) AS (VALUES ${values}),
          locked AS MATERIALIZED (
            SELECT key_id FROM ai_api_keys WHERE key_id IN (SELECT key_id FROM v)
             ORDER BY key_id FOR NO KEY UPDATE)
     UPDATE ai_api_keys AS k
        SET used_today = v.used_today, consecutive_failures = v.failures,
            last_used_at = COALESCE(v.last_used_at, k.last_used_at)
       FROM v JOIN locked USING (key_id)
      WHERE k.key_id = v.key_id
        AND (k.last_used_at IS NULL OR v.last_used_at IS NULL OR v.last_used_at >= k.last_used_at)`;
  await retryOnDeadlock(() => asPoolWrite(db, (trx) => trx.raw(sql, bindings)));
}

/** Locks the key rows matching `where` (all of them without it) in key_id order; returns their ids. */
export function lockKeyRowsInOrder(trx: Knex.Transaction, where?: string): Promise<number[]> {
  const query = trx('ai_api_keys').orderBy('key_id').forNoKeyUpdate();
  if (where) query.whereRaw(where);
  return query.pluck<number[]>('key_id');
}

/** Ends blocks whose time has passed (the `unblock-expired` maintenance task). Returns how many. */
export async function unblockExpiredInDb(db: Db): Promise<number> {
  return retryOnDeadlock(() =>
    db.transaction(async (trx): Promise<number> => {
      await markPoolOrigin(trx);
      const ids = await lockKeyRowsInOrder(trx, blockEnded('ai_api_keys'));
      if (ids.length === 0) return 0;
      return trx('ai_api_keys')
        .whereIn('key_id', ids)
        .update({ status: 'active', temporary_block_until: null, updated_at: trx.fn.now() });
    }),
  );
}

/** The daily reset in Postgres: used_today to 0 and exhausted keys back to active. */
export async function resetDailyInDb(db: Db): Promise<void> {
  await retryOnDeadlock(() =>
    db.transaction(async (trx) => {
      await markPoolOrigin(trx);
      await lockKeyRowsInOrder(trx);
      await trx('ai_api_keys').update({ used_today: 0 });
      await trx('ai_api_keys')
        .where('status', 'exhausted')
        .update({ status: 'active', updated_at: trx.fn.now() });
    }),
  );
}

/**
 * Every key's counters as Postgres has them: what a sync from Redis compares against. The last use
 * comes as epoch ms (floored, as a JS Date would hold it): parsing 10,000 timestamps into Dates was
 * more than half of this read's CPU.
 */
export async function readKeyCounters(
  db: Db,
): Promise<Map<number, { usedToday: number; lastUsedAtMs: number | null }>> {
  const rows = await db('ai_api_keys').select<
    { key_id: number; used_today: number; last_used_ms: number | null }[]
  >('key_id', 'used_today', db.raw('floor(extract(epoch from last_used_at) * 1000)::float8 AS last_used_ms'));
  return new Map(rows.map((r) => [r.key_id, { usedToday: r.used_today, lastUsedAtMs: r.last_used_ms }]));
}
