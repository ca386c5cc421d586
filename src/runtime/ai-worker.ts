import { MetricsTime, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { callProvider, type CallProviderDeps } from '../jobs/call-provider.js';
import type { AiJobData, AiJobResult } from '../jobs/job-schema.js';
import type { JobObserver } from '../observability/job-observer.js';

export interface AiWorkerOptions {
  connection: Redis;
  prefix: string;
  queueName: string;
  concurrency: number;
  deps: CallProviderDeps;
  logger: Logger;
  /** BullMQ renews the lock while the job runs; when a worker dies its jobs return once it lapses. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Measures and traces each job run and its leases (src/observability); absent: nothing recorded. */
  observer?: JobObserver;
}

export function createAiWorker(options: AiWorkerOptions): Worker<AiJobData, AiJobResult> {
  const { connection, prefix, queueName, concurrency, logger, observer } = options;
  const { deps } = options;
  const processJob = observer
    ? observer.jobProcessor(deps.leaser, (job: Job<AiJobData, AiJobResult>, token, leaser) =>
        callProvider(job, token, { ...deps, leaser }),
      )
    : (job: Job<AiJobData, AiJobResult>, token?: string) => callProvider(job, token, deps);
  const worker = new Worker<AiJobData, AiJobResult>(queueName, processJob, {
    connection,
    prefix,
    concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    // A job whose worker died mid-call is picked up again (and its stale lease expires by itself).
    maxStalledCount: 3,
    autorun: true,
    // Completed/failed counts per minute for a week, in Redis: Bull Board draws them.
    metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
  });
  worker.on('failed', (job, error) => {
    if (job) logger.warn({ jobId: job.id, reason: error.message }, 'AI job failed');
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  return worker;
}
