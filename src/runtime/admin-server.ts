import type { Queue } from 'bullmq';
import type { ImportableConfig } from '../config/types.js';
import { createFrontDoor } from '../gateway/front-door.js';
import { buildAdminApp } from '../http/app.js';
import { createKeyActions } from '../lease/key-actions.js';
import type { ProcessProbes } from '../observability/probe-routes.js';
import type { Container } from './container.js';
import { createImportNow } from './import-now.js';
import type { CloseStep } from './shutdown.js';

export interface RunningAdminServer {
  readonly url: string;
  readonly closeStep: CloseStep;
}

/**
 * Starts the admin server on HOST:PORT. Without AIKEYS_ADMIN_TOKEN it refuses any address but
 * loopback, so an open dashboard is never exposed by accident. `port: 0` picks a free port.
 */
export async function startAdminServer(
  container: Container,
  queues: readonly Queue[],
  options: {
    port?: number;
    probes?: ProcessProbes;
    /**
     * Reads the env file with its key secrets: given by the process that imports (`npm start`), so
     * POST /api/import can re-import; without it that route answers 503.
     */
    readForImport?: () => ImportableConfig;
  } = {},
): Promise<RunningAdminServer> {
  const { config, db, pool, logger } = container;
  const { adminToken, host } = config.services;
  const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost';
  const bindHost = adminToken || loopback ? host : '127.0.0.1';
  if (bindHost !== host) {
    logger.warn({ host }, 'AIKEYS_ADMIN_TOKEN is not set: the admin server listens on 127.0.0.1 only');
  }
  // The front door is served here too when clients are configured (`npm run gateway` serves it alone).
  const frontDoor = config.services.gatewayClients
    ? await createFrontDoor(config, db, container.bullConnection)
    : undefined;
  // The routes read the system settings per request: reloadable ones (the block limits, the settings
  // view) as this process holds them now (runtime/live-settings.ts), not as it started.
  const liveConfig: typeof config = {
    ...config,
    get system() {
      return container.live.current;
    },
  };
  const app = await buildAdminApp({
    db,
    config: liveConfig,
    queues,
    logger,
    adminToken,
    actions: createKeyActions({
      db,
      pool,
      get defaultBlockSeconds() {
        return container.live.current.blockSeconds;
      },
    }),
    probes: options.probes,
    ...(options.readForImport
      ? { importNow: createImportNow({ db, pool, readForImport: options.readForImport, logger }) }
      : {}),
    ...(frontDoor ? { gateway: frontDoor.options } : {}),
  });
  const address = await app.listen({ host: bindHost, port: options.port ?? config.services.port });
  const close = async (): Promise<void> => {
    await app.close();
    await frontDoor?.close();
  };
  return { url: address, closeStep: { name: 'admin server', close } };
}
