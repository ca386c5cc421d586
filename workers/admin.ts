// The admin server alone (docker-compose's `admin` service).
import { Queue } from 'bullmq';
import { loadRuntimeConfig } from '../src/config/runtime-config.js';
import { createLogger } from '../src/core/logger.js';
import { startProcessObservability } from '../src/runtime/process-observability.js';
import { MAINTENANCE_QUEUE } from '../src/queues/names.js';
import { startAdminServer } from '../src/runtime/admin-server.js';
import { buildContainer } from '../src/runtime/container.js';
import { startLiveUpdates } from '../src/runtime/live-updates.js';
import { onShutdownSignals } from '../src/runtime/shutdown.js';
import { runEntryPoint } from './entry-point.js';

await runEntryPoint(async () => {
  const config = loadRuntimeConfig();
  const logger = createLogger({ level: config.services.logLevel, name: 'aikeys-admin' });
  const container = await buildContainer(config, logger);
  const { prefix, queueName } = config.services;
  const queues = [queueName, MAINTENANCE_QUEUE].map(
    (name) => new Queue(name, { connection: container.bullConnection, prefix }),
  );
  // No worker here: readiness is Redis, Postgres and not shutting down; the queues are in the admin registry.
  const observability = await startProcessObservability(container, {
    serviceName: 'aikeys-admin',
    runsWorkers: false,
  });
  // Its key actions run on the lease engine too: operator edits and reloadable settings reach it.
  const live = startLiveUpdates(container, { logger });
  await live.listener.started;
  const server = await startAdminServer(container, queues, { probes: observability });
  logger.info({ url: server.url }, 'admin server listening');
  onShutdownSignals(
    () => [
      observability.shutdownStep,
      server.closeStep,
      ...queues.map((q) => ({ name: `queue ${q.name}`, close: () => q.close() })),
      live.closeStep,
      { name: 'container', close: () => container.close() },
      observability.tracingStep,
    ],
    logger,
  );
});
