// `npm run gateway`: the front door alone (OpenAI/Anthropic-compatible `/v1`); it enqueues, workers run the jobs.
import { loadConfig } from '../src/config/load-config.js';
import { createLogger } from '../src/core/logger.js';
import { buildContainer } from '../src/runtime/container.js';
import { startGatewayServer } from '../src/runtime/gateway-server.js';
import { onShutdownSignals } from '../src/runtime/shutdown.js';
import { runEntryPoint } from './entry-point.js';

await runEntryPoint(async () => {
  const config = loadConfig();
  const logger = createLogger({ level: config.services.logLevel, name: 'aikeys-gateway' });
  const container = await buildContainer(config, logger);
  const gateway = await startGatewayServer(container);
  logger.info({ url: gateway.url }, 'front door listening (/v1)');
  onShutdownSignals(
    () => [...gateway.closeSteps, { name: 'container', close: () => container.close() }],
    logger,
  );
});
