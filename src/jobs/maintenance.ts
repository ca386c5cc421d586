/**
 * Maintenance tasks as plain functions: the scheduler decides when, tests and the CLI call them
 * directly. Each returns what it did, for the job's return value and the logs.
 */
export interface DailyResetResult {
  /** Keys whose counters this run zeroed (0 when the day had been reset already). */
  readonly keysReset: number;
  /** The calendar day (AI_TIMEZONE) the reset closed, `YYYY-MM-DD`. */
  readonly day?: string;
  /** False when that day was closed already (an earlier run or another replica): nothing changed. */
  readonly closed?: boolean;
  /** Earlier days no reset had closed, closed and rolled up with this one (absent: none). */
  readonly missedDaysClosed?: readonly string[];
}

export interface MaintenanceTarget {
  /**
   * Close the day that ended: roll its usage into the daily history, then zero every key's and
   * account's daily counters (exhausted keys become active again). Once per day.
   */
  resetDaily(): Promise<DailyResetResult>;
  /** End blocks whose time has passed (the lease engine already treats them as ended; this tidies Postgres). */
  unblockExpired(): Promise<{ unblocked: number }>;
  /** Re-read the env file and import it when it changed; rehydrates the lease state after. */
  reimportConfig(): Promise<{ changed: boolean; summary: string }>;
  /** Delete usage log rows older than AI_LOG_RETENTION_DAYS, in batches. */
  pruneLogs(): Promise<{ deleted: number }>;
}

export const MAINTENANCE_TASKS = ['reset-daily', 'unblock-expired', 'import-config', 'prune-logs'] as const;
export type MaintenanceTask = (typeof MAINTENANCE_TASKS)[number];

export async function runMaintenanceTask(task: MaintenanceTask, target: MaintenanceTarget): Promise<unknown> {
  switch (task) {
    case 'reset-daily':
      return target.resetDaily();
    case 'unblock-expired':
      return target.unblockExpired();
    case 'import-config':
      return target.reimportConfig();
    case 'prune-logs':
      return target.pruneLogs();
  }
}

export function isMaintenanceTask(name: string): name is MaintenanceTask {
  return (MAINTENANCE_TASKS as readonly string[]).includes(name);
}
