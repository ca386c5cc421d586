/**
 * A key's status as the lease engine applies it: a block whose time has passed has ended. The
 * engine ends blocks on time in Redis; the status column catches up at the next unblock-expired run
 * (every 15 s). Listings, counts and metrics read these expressions rather than the raw columns, so
 * they never show a key as blocked that the engine is already leasing; the unblock task rewrites the
 * rows the same rule picks.
 *
 * `table` is the alias (or name) of ai_api_keys in the query: a constant of the caller, never input.
 */

/** The row is blocked and its block's time has passed (what the unblock task rewrites). */
export function blockEnded(table: string): string {
  return `(${table}.status = 'temporarily_blocked' AND ${table}.temporary_block_until <= now())`;
}

export function effectiveKeyStatus(table: string): string {
  return `(CASE WHEN ${blockEnded(table)} THEN 'active' ELSE ${table}.status END)`;
}

/** The block's end while it lasts; null once it has passed, as the unblock task will write it. */
export function effectiveBlockUntil(table: string): string {
  return `(CASE WHEN ${blockEnded(table)} THEN NULL ELSE ${table}.temporary_block_until END)`;
}
