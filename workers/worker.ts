// `npm run worker`: one worker replica (scale with more processes or `docker compose up --scale worker=N`).
// It answers /healthz, /readyz and /metrics on HOST:PORT for its orchestrator and Prometheus.
import { Queue } from 'bullmq';
import { loadRuntimeConfig } from '../src/config/runtime-config.js';
import { createLogger } from '../src/core/logger.js';
import { startProbeServer } from '../src/observability/probe-server.js';
import { startProcessObservability } from '../src/runtime/process-observability.js';
import { buildContainer } from '../src/runtime/container.js';
import { onShutdownSignals } from '../src/runtime/shutdown.js';
import { startWorkerReplica } from '../src/runtime/worker-replica.js';
import { runEntryPoint } from './entry-point.js';

await runEntryPoint(async () => {
  const config = loadRuntimeConfig();
  const logger = createLogger({ level: config.services.logLevel, name: 'aikeys-worker' });
  const container = await buildContainer(config, logger);
  const { prefix, queueName, host, port } = config.services;
  // Read-only handle for the queue gauges (depth, oldest waiting job): the scaling signal.
  const queue = new Queue(queueName, { connection: container.bullConnection, prefix });
  const observability = await startProcessObservability(container, {
    serviceName: 'aikeys-worker',
    queues: [queue],
    runsWorkers: true,
  });
  // Before the replica: the orchestrator sees the process alive (and not yet ready) while it starts.
  const probes = await startProbeServer(observability, { host, port });
  logger.info({ url: probes.url }, 'probes listening: /healthz, /readyz, /metrics');
  const replica = await startWorkerReplica(container, { observer: observability.observer });
  observability.watchWorker({ name: 'ai worker', isRunning: () => replica.aiWorker.isRunning() });
  onShutdownSignals(
    () => [
      observability.shutdownStep,
      ...replica.workerSteps,
      { name: 'queue gauges', close: () => queue.close() },
      probes.closeStep,
      replica.containerStep,
      observability.tracingStep,
    ],
    logger,
  );
});
