/** The default AI_DAILY_RESET_CRON: the reset-daily maintenance job runs at local midnight. */
export const DAILY_RESET_CRON = '0 0 * * *';

/**
 * The next 00:00 UTC: when a job that found every key exhausted looks again. With another
 * AI_TIMEZONE or AI_DAILY_RESET_CRON it may look before the reset (and wait again) or after it; its
 * wait is capped by AI_NO_KEY_WAIT_MS all the same.
 */
export function nextDailyReset(nowMs: number): number {
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}
