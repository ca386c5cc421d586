/**
 * `workers/worker.ts` with a short BullMQ job lock and stalled-check interval, for the kill test.
 * The production worker locks a job for 60 s and checks for stalled jobs every 30 s (BullMQ's
 * default), so a SIGKILLed replica's jobs come back only after up to ~90 s: too long for a test.
 * Neither is configurable yet (see the report of test/fault/pipeline-kill.fault.test.ts), so this
 * entry builds the same container and processor (callProvider) around a Worker with short timings.
 * Everything else — leasing, providers, usage stream and flusher, shutdown — is the production code.
 */
import { Worker } from 'bullmq';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/core/logger.js';
import { callProvider } from '../../../src/jobs/call-provider.js';
import type { AiJobData, AiJobResult } from '../../../src/queues/job-schema.js';
import { buildContainer } from '../../../src/runtime/container.js';
import { onShutdownSignals } from '../../../src/runtime/shutdown.js';
import { runEntryPoint } from '../../../workers/entry-point.js';

await runEntryPoint(async () => {
  const config = loadConfig();
  const logger = createLogger({ level: config.services.logLevel, name: 'aikeys-test-worker' });
  const container = await buildContainer(config, logger);
  await container.pool.hydrate();
  container.flusher.start();
  const worker = new Worker<AiJobData, AiJobResult>(
    config.services.queueName,
    (job, token) => callProvider(job, token, container.jobDeps),
    {
      connection: container.bullConnection,
      prefix: config.services.prefix,
      concurrency: config.system.workerConcurrency,
      lockDuration: 4_000,
      stalledInterval: 2_000,
      maxStalledCount: 3,
    },
  );
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  logger.info({ queue: config.services.queueName }, 'worker replica started');
  onShutdownSignals(
    () => [
      { name: 'ai worker', close: () => worker.close() },
      { name: 'container', close: () => container.close() },
    ],
    logger,
  );
});
