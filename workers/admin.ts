// The admin server alone (docker-compose's `admin` service).
import { Queue } from 'bullmq';
import { loadRuntimeConfig } from '../src/config/runtime-config.js';
import { createLogger } from '../src/core/logger.js';
import { MAINTENANCE_QUEUE } from '../src/queues/names.js';
import { startAdminServer } from '../src/runtime/admin-server.js';
import { buildContainer } from '../src/runtime/container.js';
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
  const server = await startAdminServer(container, queues);
  logger.info({ url: server.url }, 'admin server listening');
  onShutdownSignals(
    () => [
      server.closeStep,
      ...queues.map((q) => ({ name: `queue ${q.name}`, close: () => q.close() })),
      { name: 'container', close: () => container.close() },
    ],
    logger,
  );
});
