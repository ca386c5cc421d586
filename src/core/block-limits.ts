/**
 * How long a key may be blocked. Provider headers and operators can ask for any duration, including
 * ones that do not fit a Date (Go's largest duration is 292 years): a block past the cap would keep
 * a key out of service for good, and an Infinity or NaN would reach Postgres as an Invalid Date.
 */

/**
 * The highest AI_MAX_BLOCK_SECONDS accepted (one year). Header parsing, which runs before the
 * settings are at hand, caps at this; the lease engine then caps at the setting itself.
 */
export const BLOCK_CEILING_SECONDS = 365 * 24 * 3600;
export const BLOCK_CEILING_MS = BLOCK_CEILING_SECONDS * 1000;

/** A whole number of ms in 0..maxMs; NaN (a duration nobody can read) counts as the longest. */
export function capBlockMs(ms: number, maxMs: number): number {
  if (Number.isNaN(ms)) return maxMs;
  return Math.min(Math.max(0, Math.round(ms)), maxMs);
}
