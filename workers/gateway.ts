// `npm run gateway`: the front door alone (OpenAI/Anthropic-compatible `/v1`); it enqueues, workers run
// the jobs. Like a worker replica it needs no key secret (only the settings and the master key), so it
// scales the same way (`docker compose up --scale gateway=N`), and it answers /healthz, /readyz and
// /metrics on its own HOST:PORT.
import { loadRuntimeConfig } from '../src/config/runtime-config.js';
import { createLogger } from '../src/core/logger.js';
import { buildContainer } from '../src/runtime/container.js';
import { startGatewayServer } from '../src/runtime/gateway-server.js';
import { startProcessObservability } from '../src/runtime/process-observability.js';
import { onShutdownSignals } from '../src/runtime/shutdown.js';
import { runEntryPoint } from './entry-point.js';

await runEntryPoint(async () => {
  const config = loadRuntimeConfig();
  const logger = createLogger({ level: config.services.logLevel, name: 'aikeys-gateway' });
  const container = await buildContainer(config, logger);
  // No worker here: readiness is Redis, Postgres and not shutting down.
  const observability = await startProcessObservability(container, {
    serviceName: 'aikeys-gateway',
    runsWorkers: false,
  });
  const gateway = await startGatewayServer(container, { probes: observability });
  logger.info({ url: gateway.url }, 'front door listening (/v1, /healthz, /readyz, /metrics)');
  onShutdownSignals(
    () => [
      observability.shutdownStep,
      ...gateway.closeSteps,
      { name: 'container', close: () => container.close() },
      observability.tracingStep,
    ],
    logger,
  );
});
