/**
 * One worker replica: AI job worker, maintenance scheduler and worker, usage flusher, on a built
 * container. `npm run worker` runs this alone; `npm start` adds the import and the admin server.
 */
import type { Worker } from 'bullmq';
import type { ConfigManager } from '../config/config-manager.js';
import type { JobObserver } from '../observability/job-observer.js';
import { evictionWarning } from '../queues/connections.js';
import {
  createMaintenanceQueue,
  createMaintenanceWorker,
  maintenanceSchedules,
  upsertMaintenanceSchedules,
} from '../queues/maintenance-schedule.js';
import { keepMaintenanceSchedules } from '../queues/schedule-keeper.js';
import { UsageBackpressure } from '../usage/usage-backpressure.js';
import { createAiWorker } from './ai-worker.js';
import { createConfigReloader, type ConfigReloader } from './config-reload.js';
import { watchConfigFile, type ConfigWatcher } from './config-watcher.js';
import type { Container } from './container.js';
import { startLiveUpdates, type LiveUpdates } from './live-updates.js';
import { createMaintenanceTarget } from './maintenance-target.js';
import type { CloseStep } from './shutdown.js';

export interface WorkerReplica {
  readonly aiWorker: Worker;
  /** Pauses aiWorker while the usage stream holds more than AI_USAGE_BACKLOG_MAX records. */
  readonly backpressure: UsageBackpressure;
  /** Operator edits and published settings reaching this replica (live-updates.ts). */
  readonly live: LiveUpdates;
  /** Only in a replica given the env file: its re-import and its watcher. */
  readonly reloader: ConfigReloader | undefined;
  readonly watcher: ConfigWatcher | undefined;
  /** Stop taking jobs and finish in-flight ones, in order: backpressure, AI worker, maintenance worker, schedule keeper and queue. */
  readonly workerSteps: CloseStep[];
  /**
   * Close the container (connections, pool flush, usage flusher). Separate so a caller that shares
   * the container's connections with more things (queues, an admin server) closes those first.
   */
  readonly containerStep: CloseStep;
}

export async function startWorkerReplica(
  container: Container,
  /**
   * `configManager`: given only to a replica that re-imports the env file (`npm start`); one
   * without it holds no key secrets and skips the import-config task.
   */
  options: {
    configManager?: ConfigManager;
    concurrency?: number;
    observer?: JobObserver;
    /** Stat fallback of the env file watcher (default 2000 ms). */
    watchPollMs?: number;
  } = {},
): Promise<WorkerReplica> {
  const { config, logger, db, pool, bullConnection, commandConnection, flusher } = container;
  const warning = await evictionWarning(commandConnection);
  if (warning) logger.warn(warning);
  await pool.hydrate();
  const { configManager } = options;
  const live = startLiveUpdates(container, { logger });
  await live.listener.started;
  const reloader = configManager
    ? createConfigReloader({
        db,
        pool,
        file: configManager.file,
        read: () => configManager.readForImport(),
        running: config,
        logger,
      })
    : undefined;
  const maintenanceQueue = createMaintenanceQueue(bullConnection, config.services.prefix);
  const schedules = maintenanceSchedules(config.system);
  await upsertMaintenanceSchedules(maintenanceQueue, schedules);
  const scheduleKeeper = keepMaintenanceSchedules(maintenanceQueue, { logger, schedules });
  const maintenanceWorker = createMaintenanceWorker({
    connection: bullConnection,
    prefix: config.services.prefix,
    target: createMaintenanceTarget({
      db,
      pool,
      importableConfig: undefined,
      reimport: reloader ? () => reloader.reload() : undefined,
      system: {
        timeZone: config.system.timeZone,
        get logRetentionDays() {
          return container.live.current.logRetentionDays;
        },
      },
      logger,
    }),
    logger,
  });
  flusher.start();
  const aiWorker = createAiWorker({
    connection: bullConnection,
    prefix: config.services.prefix,
    queueName: config.services.queueName,
    concurrency: options.concurrency ?? config.system.workerConcurrency,
    deps: container.jobDeps,
    logger,
    lockDurationMs: config.system.jobLockMs,
    stalledIntervalMs: config.system.stalledIntervalMs,
    observer: options.observer,
  });
  const backpressure = new UsageBackpressure({
    redis: commandConnection,
    streamKey: container.usage.key,
    maxRecords: config.system.usageBacklogMax,
    worker: aiWorker,
    logger,
  });
  backpressure.start();
  container.live.onChange((s) => backpressure.setMaxRecords(s.usageBacklogMax));
  const watcher =
    configManager && reloader
      ? watchConfigFile({
          file: configManager.file,
          onChange: () => reloader.reload(),
          logger,
          ...(options.watchPollMs === undefined ? {} : { pollMs: options.watchPollMs }),
        })
      : undefined;
  logger.info(
    { queue: config.services.queueName, concurrency: options.concurrency ?? config.system.workerConcurrency },
    'worker replica started',
  );
  return {
    aiWorker,
    backpressure,
    live,
    reloader,
    watcher,
    workerSteps: [
      ...(watcher ? [watcher.closeStep] : []),
      // First, so a drained backlog never resumes a worker that is closing.
      { name: 'usage backpressure', close: async () => backpressure.stop() },
      // close() waits for in-flight jobs; leases are released by the processor as each call ends.
      { name: 'ai worker', close: () => aiWorker.close() },
      { name: 'maintenance worker', close: () => maintenanceWorker.close() },
      { name: 'maintenance schedule keeper', close: async () => scheduleKeeper.stop() },
      { name: 'maintenance queue', close: () => maintenanceQueue.close() },
      live.closeStep,
    ],
    containerStep: { name: 'container', close: () => container.close() },
  };
}
