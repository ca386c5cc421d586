/** Daily counters reset at 00:00 UTC (the reset-daily maintenance job's schedule). */
export const DAILY_RESET_CRON = '0 0 * * *';

export function nextDailyReset(nowMs: number): number {
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}
