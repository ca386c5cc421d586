/**
 * The admin server: REST API, dashboard, Bull Board and metrics. A factory that does not listen, so
 * tests drive it with `app.inject` and the caller chooses where to bind (src/runtime/admin-server.ts
 * binds 127.0.0.1 when no admin token is set).
 *
 * Routes: GET /healthz (public), GET / (dashboard shell, public), GET /api/{health,accounts,keys,
 * settings,usage}, POST /api/keys/:name/{block,unblock,disable,enable}, POST /api/reset-daily,
 * GET /metrics, /admin/queues (Bull Board). Errors: `{ error: { code, message } }` everywhere but
 * under `/v1`, the front door (src/gateway), which answers in the providers' own shapes.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { gatewayPlugin } from '../gateway/plugin.js';
import { installAuth } from './auth.js';
import { registerBullBoard } from './bull-board.js';
import { installErrorHandling } from './errors.js';
import { registerAccountRoutes } from './routes/accounts.js';
import { registerDashboardRoutes } from './routes/dashboard.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerKeyActionRoutes } from './routes/key-actions.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerMetricsRoutes } from './routes/metrics.js';
import { registerSettingsRoutes } from './routes/settings.js';
import { registerUsageRoutes } from './routes/usage.js';
import type { AdminAppDeps } from './types.js';

export type { AdminAppDeps, BlockOptions, KeyActions } from './types.js';

export async function buildAdminApp(deps: AdminAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino from src/core/logger.ts: its redaction covers the authorization header should a request be logged.
    loggerInstance: deps.logger.child({ component: 'admin-http' }) as FastifyBaseLogger,
    // The dashboard polls every few seconds; access lines would drown the workers' logs.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
  });
  installErrorHandling(app);
  // Before any route, so every route (Bull Board's included) inherits the hook.
  installAuth(app, deps.adminToken);

  registerHealthRoutes(app, deps);
  registerAccountRoutes(app, deps);
  registerKeyRoutes(app, deps);
  registerKeyActionRoutes(app, deps);
  registerSettingsRoutes(app, deps);
  registerUsageRoutes(app, deps);
  registerMetricsRoutes(app, deps);
  await registerDashboardRoutes(app);
  await registerBullBoard(app, deps.queues);
  if (deps.gateway) await app.register(gatewayPlugin, { ...deps.gateway, prefix: '/v1' });

  // Not made ready here: the caller may add routes (or decorate) before listen/inject readies it.
  return app;
}
