import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { callProvider, type CallProviderDeps } from '../jobs/call-provider.js';
import type { AiJobData, AiJobResult } from '../jobs/job-schema.js';

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
}

export function createAiWorker(options: AiWorkerOptions): Worker<AiJobData, AiJobResult> {
  const { connection, prefix, queueName, concurrency, deps, logger } = options;
  const worker = new Worker<AiJobData, AiJobResult>(
    queueName,
    (job, token) => callProvider(job, token, deps),
    {
      connection,
      prefix,
      concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      // A job whose worker died mid-call is picked up again (and its stale lease expires by itself).
      maxStalledCount: 3,
      autorun: true,
    },
  );
  worker.on('failed', (job, error) => {
    if (job) logger.warn({ jobId: job.id, reason: error.message }, 'AI job failed');
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  return worker;
}
