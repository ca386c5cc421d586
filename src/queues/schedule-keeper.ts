/**
 * Keeps the maintenance schedules registered for as long as a replica runs. They are upserted at
 * start, but Redis can lose them later (FLUSHALL, a restart without persistence, a failover to an
 * empty replica); without this the daily reset would silently never run again. Each replica checks
 * every `intervalMs` which scheduler ids are missing and upserts only those: an upsert is idempotent
 * (BullMQ keeps one scheduler per id however many replicas upsert it), and leaving present schedulers
 * alone keeps their next run where it was.
 */
import type { Queue } from 'bullmq';
import type { Logger } from '../core/logger.js';
import {
  MAINTENANCE_SCHEDULES,
  upsertMaintenanceSchedules,
  type MaintenanceSchedule,
} from './maintenance-schedule.js';

/** How often a replica checks its schedules: a lost schedule is back within this time. */
export const SCHEDULE_CHECK_INTERVAL_MS = 30_000;

/** Re-registers the maintenance schedules Redis does not hold; returns the tasks it re-registered. */
export async function restoreMissingSchedules(
  queue: Queue,
  schedules: readonly MaintenanceSchedule[] = MAINTENANCE_SCHEDULES,
): Promise<string[]> {
  const present = new Set((await queue.getJobSchedulers()).map((s) => s.key));
  const missing = schedules.filter((s) => !present.has(s.task));
  if (missing.length > 0) await upsertMaintenanceSchedules(queue, missing);
  return missing.map((s) => s.task);
}

export interface ScheduleKeeper {
  /** One check now (also what the timer runs). */
  check(): Promise<string[]>;
  stop(): void;
}

export function keepMaintenanceSchedules(
  queue: Queue,
  options: { logger: Logger; intervalMs?: number; schedules?: readonly MaintenanceSchedule[] },
): ScheduleKeeper {
  const { logger } = options;
  let running: Promise<string[]> | undefined;
  const check = (): Promise<string[]> => {
    running ??= restoreMissingSchedules(queue, options.schedules)
      .then((restored) => {
        if (restored.length > 0) {
          logger.warn(
            { tasks: restored },
            'maintenance schedules were missing from Redis (it lost its data?); registered them again',
          );
        }
        return restored;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => {
    check().catch((error: unknown) =>
      logger.warn({ err: error }, 'could not check the maintenance schedules; will try again'),
    );
  }, options.intervalMs ?? SCHEDULE_CHECK_INTERVAL_MS);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
