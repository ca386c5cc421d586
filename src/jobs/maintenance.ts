/**
 * Maintenance tasks as plain functions: the scheduler decides when, tests and the CLI call them
 * directly. Each returns what it did, for the job's return value and the logs.
 */
export interface MaintenanceTarget {
  /** Zero every key's and account's daily counters; exhausted keys become active again. */
  resetDaily(): Promise<{ keysReset: number }>;
  /** End blocks whose time has passed (the lease engine already treats them as ended; this tidies Postgres). */
  unblockExpired(): Promise<{ unblocked: number }>;
  /** Re-read the env file and import it when it changed; rehydrates the lease state after. */
  reimportConfig(): Promise<{ changed: boolean; summary: string }>;
}

export const MAINTENANCE_TASKS = ['reset-daily', 'unblock-expired', 'import-config'] as const;
export type MaintenanceTask = (typeof MAINTENANCE_TASKS)[number];

export async function runMaintenanceTask(task: MaintenanceTask, target: MaintenanceTarget): Promise<unknown> {
  switch (task) {
    case 'reset-daily':
      return target.resetDaily();
    case 'unblock-expired':
      return target.unblockExpired();
    case 'import-config':
      return target.reimportConfig();
  }
}

export function isMaintenanceTask(name: string): name is MaintenanceTask {
  return (MAINTENANCE_TASKS as readonly string[]).includes(name);
}
