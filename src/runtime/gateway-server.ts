import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { createFrontDoor, type FrontDoor } from '../gateway/front-door.js';
import { gatewayPlugin } from '../gateway/plugin.js';
import { registerProbeRoutes, type ProcessProbes } from '../observability/probe-routes.js';
import type { Container } from './container.js';
import type { CloseStep } from './shutdown.js';

export interface RunningGateway {
  readonly url: string;
  readonly frontDoor: FrontDoor;
  /** Stop taking requests (in-flight ones finish), then close the waiter and the producer. */
  readonly closeSteps: CloseStep[];
}

/**
 * The front door on its own process (`npm run gateway`): listens on HOST:PORT and enqueues; it runs
 * no workers. Refuses to start without AIKEYS_GATEWAY_TOKENS, or with short tokens off loopback.
 */
export async function startGatewayServer(
  container: Container,
  /** `probes`: serve /healthz, /readyz and /metrics (the entry point's); else /healthz alone. */
  options: { port?: number; probes?: ProcessProbes } = {},
): Promise<RunningGateway> {
  const { config, db, bullConnection, logger } = container;
  const frontDoor = await createFrontDoor(config, db, bullConnection);
  const app = Fastify({
    loggerInstance: logger.child({ component: 'gateway-http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  if (options.probes === undefined) {
    app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
  } else {
    registerProbeRoutes(app, options.probes);
  }
  await app.register(gatewayPlugin, { ...frontDoor.options, prefix: '/v1' });
  const url = await app.listen({ host: config.services.host, port: options.port ?? config.services.port });
  return {
    url,
    frontDoor,
    closeSteps: [
      { name: 'gateway server', close: () => app.close() },
      { name: 'gateway front door', close: () => frontDoor.close() },
    ],
  };
}
