/**
 * Maintenance runs as BullMQ job schedulers: every replica upserts the same scheduler ids at start,
 * and BullMQ keeps exactly one scheduled job per id per iteration, so each task runs once across
 * all replicas however many there are (no node-cron per process, which would run it N times).
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { DAILY_RESET_CRON } from '../jobs/daily-reset-time.js';
import {
  isMaintenanceTask,
  runMaintenanceTask,
  type MaintenanceTarget,
  type MaintenanceTask,
} from '../jobs/maintenance.js';
import { MAINTENANCE_QUEUE } from './names.js';

export interface MaintenanceSchedule {
  readonly task: MaintenanceTask;
  readonly repeat: { pattern: string; tz: string } | { every: number };
}

/** When days begin: AI_DAILY_RESET_CRON read in AI_TIMEZONE. */
export interface DayBoundary {
  readonly dailyResetCron: string;
  readonly timeZone: string;
}

/** The schedules for a deployment's day boundary; BullMQ reads `pattern` in `tz`, DST included. */
export function maintenanceSchedules(boundary: DayBoundary): readonly MaintenanceSchedule[] {
  const { dailyResetCron, timeZone } = boundary;
  return [
    { task: 'reset-daily', repeat: { pattern: dailyResetCron, tz: timeZone } },
    // Redis ends blocks by itself; this brings Postgres (and so the dashboard) up to date soon after.
    { task: 'unblock-expired', repeat: { every: 15_000 } },
    { task: 'import-config', repeat: { every: 5 * 60_000 } },
    // Daily, at a quiet hour of the same zone and away from the reset.
    { task: 'prune-logs', repeat: { pattern: '30 3 * * *', tz: timeZone } },
  ];
}

/** The schedules with the default boundary (00:00 UTC). */
export const MAINTENANCE_SCHEDULES = maintenanceSchedules({
  dailyResetCron: DAILY_RESET_CRON,
  timeZone: 'UTC',
});

export async function upsertMaintenanceSchedules(
  queue: Queue,
  schedules: readonly MaintenanceSchedule[] = MAINTENANCE_SCHEDULES,
): Promise<void> {
  for (const { task, repeat } of schedules) {
    await queue.upsertJobScheduler(task, repeat, {
      name: task,
      opts: { removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } },
    });
  }
}

export function createMaintenanceQueue(connection: Redis, prefix: string): Queue {
  return new Queue(MAINTENANCE_QUEUE, { connection, prefix });
}

export function createMaintenanceWorker(options: {
  connection: Redis;
  prefix: string;
  target: MaintenanceTarget;
  logger: Logger;
}): Worker {
  const { connection, prefix, target, logger } = options;
  const worker = new Worker(
    MAINTENANCE_QUEUE,
    async (job: Job) => {
      if (!isMaintenanceTask(job.name)) throw new Error(`unknown maintenance task "${job.name}"`);
      const result = await runMaintenanceTask(job.name, target);
      logger.info({ task: job.name, result }, 'maintenance task done');
      return result;
    },
    { connection, prefix, concurrency: 1 },
  );
  worker.on('failed', (job, error) =>
    logger.error({ task: job?.name, err: error }, 'maintenance task failed'),
  );
  return worker;
}
