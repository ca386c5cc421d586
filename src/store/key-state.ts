/**
 * Writes the lease engine's key state back to `ai_api_keys`, so the dashboard and a rehydration see
 * it. Values are absolute (Redis's current numbers, not increments): writing one twice, or late,
 * converges instead of double counting.
 */
import type { Db } from './database.js';
import { blockEnded } from './key-status-sql.js';

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

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** Status, reason, block and counters of one key: used after every status change. */
export async function writeKeyState(db: Db, s: KeyStateWrite): Promise<void> {
  const disabled = s.status === 'disabled';
  await db('ai_api_keys')
    .where('key_id', s.keyId)
    .update({
      status: s.status,
      disabled_kind: disabled ? s.disabledKind : null,
      disabled_reason: disabled ? (s.disabledReason ?? '').slice(0, 255) : null,
      temporary_block_until: s.status === 'temporarily_blocked' ? toDate(s.blockUntilMs) : null,
      consecutive_failures: s.consecutiveFailures,
      used_today: s.usedToday,
      last_used_at: toDate(s.lastUsedAtMs),
      updated_at: db.fn.now(),
    });
}

/**
 * Counters only (the hot path's batched write-behind); one statement for the whole batch. Replicas
 * flush independently, so an older snapshot can arrive after a newer one: a row whose last use is
 * newer than the snapshot's keeps its counters.
 */
export async function writeKeyCounters(db: Db, states: readonly KeyStateWrite[]): Promise<void> {
  if (states.length === 0) return;
  const values = states.map(() => '(?::int, ?::bigint, ?::int, ?::timestamptz)').join(', ');
  const bindings = states.flatMap((s) => [
    s.keyId,
    s.usedToday,
    s.consecutiveFailures,
    toDate(s.lastUsedAtMs),
  ]);
  await db.raw(
    `UPDATE ai_api_keys AS k
        SET used_today = v.used_today, consecutive_failures = v.failures,
            last_used_at = COALESCE(v.last_used_at, k.last_used_at)
       FROM (VALUES ${values}) AS v(key_id, used_today, failures, last_used_at)
      WHERE k.key_id = v.key_id
        AND (k.last_used_at IS NULL OR v.last_used_at IS NULL OR v.last_used_at >= k.last_used_at)`,
    bindings,
  );
}

/** Ends blocks whose time has passed (the seed's unblockExpiredKeys). Returns how many. */
export async function unblockExpiredInDb(db: Db): Promise<number> {
  return db('ai_api_keys')
    .whereRaw(blockEnded('ai_api_keys'))
    .update({ status: 'active', temporary_block_until: null, updated_at: db.fn.now() });
}

/** The daily reset in Postgres: used_today to 0 and exhausted keys back to active. */
export async function resetDailyInDb(db: Db): Promise<void> {
  await db('ai_api_keys').update({ used_today: 0 });
  await db('ai_api_keys').where('status', 'exhausted').update({ status: 'active', updated_at: db.fn.now() });
}
