// `npm run worker`: one worker replica (scale with more processes or `docker compose up --scale worker=N`).
import { loadRuntimeConfig } from '../src/config/runtime-config.js';
import { createLogger } from '../src/core/logger.js';
import { buildContainer } from '../src/runtime/container.js';
import { onShutdownSignals } from '../src/runtime/shutdown.js';
import { startWorkerReplica } from '../src/runtime/worker-replica.js';
import { runEntryPoint } from './entry-point.js';

await runEntryPoint(async () => {
  const config = loadRuntimeConfig();
  const logger = createLogger({ level: config.services.logLevel, name: 'aikeys-worker' });
  const container = await buildContainer(config, logger);
  const replica = await startWorkerReplica(container);
  onShutdownSignals(() => [...replica.workerSteps, replica.containerStep], logger);
});
