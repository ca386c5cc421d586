// `npm start`: migrate, import the config, then a worker replica, maintenance and the admin server in one process.
import { Queue } from 'bullmq';
import { ConfigManager } from '../src/config/config-manager.js';
import { createLogger } from '../src/core/logger.js';
import { keyRingOf } from '../src/config/encryption-key.js';
import { startProcessObservability } from '../src/runtime/process-observability.js';
import { MAINTENANCE_QUEUE } from '../src/queues/names.js';
import { startAdminServer } from '../src/runtime/admin-server.js';
import { buildContainer } from '../src/runtime/container.js';
import { onShutdownSignals } from '../src/runtime/shutdown.js';
import { startWorkerReplica } from '../src/runtime/worker-replica.js';
import { importConfig } from '../src/store/import-config.js';
import { runEntryPoint } from './entry-point.js';

await runEntryPoint(async () => {
  // This process imports, so it reads the key secrets, for the import only: what it keeps is the
  // ConfigManager's config, which has none (the periodic re-import reads the file again).
  const configManager = new ConfigManager();
  const config = configManager.config;
  const logger = createLogger({ level: config.services.logLevel, name: 'aikeys' });
  for (const notice of config.legacy) logger.warn({ line: notice.line, name: notice.name }, notice.message);
  const container = await buildContainer(config, logger);
  const report = await importConfig(container.db, configManager.readForImport(), {
    ring: keyRingOf(config.system),
    logger,
  });
  logger.info(
    {
      added: report.added.length,
      changed: report.changed.length,
      disabled: report.disabled.length,
      unchanged: report.unchanged.length,
    },
    'config imported',
  );
  // The admin server's registry reports the queues; this one adds what the worker measures.
  const observability = await startProcessObservability(container, {
    serviceName: 'aikeys',
    runsWorkers: true,
  });
  const replica = await startWorkerReplica(container, { configManager, observer: observability.observer });
  observability.watchWorker({ name: 'ai worker', isRunning: () => replica.aiWorker.isRunning() });
  const { prefix, queueName } = config.services;
  const queues = [queueName, MAINTENANCE_QUEUE].map(
    (name) => new Queue(name, { connection: container.bullConnection, prefix }),
  );
  const server = await startAdminServer(container, queues, {
    probes: observability,
    readForImport: () => configManager.readForImport(),
  });
  logger.info({ url: server.url }, 'aikeys running: admin dashboard at this address');
  onShutdownSignals(
    () => [
      observability.shutdownStep,
      ...replica.workerSteps,
      // After the workers: /readyz keeps answering 503 while in-flight jobs finish.
      server.closeStep,
      ...queues.map((q) => ({ name: `queue ${q.name}`, close: () => q.close() })),
      replica.containerStep,
      observability.tracingStep,
    ],
    logger,
  );
});
