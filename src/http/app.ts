/**
 * The admin server: REST API, dashboard, Bull Board and metrics. A factory that does not listen, so
 * tests drive it with `app.inject` and the caller chooses where to bind (src/runtime/admin-server.ts
 * binds 127.0.0.1 when no admin token is set).
 *
 * Routes: GET /healthz (public), GET|POST /sign-in and POST /sign-out (public), GET / (dashboard),
 * GET /api/{health,accounts,accounts/:id,keys,keys/:name,models,settings,usage,failures,admin-actions},
 * POST /api/keys/:name/{block,unblock,disable,enable}, POST /api/reset-daily, POST /api/import,
 * GET /api/docs (OpenAPI: the UI, and /api/docs/json), GET /metrics, /admin/queues (Bull Board).
 * Errors: `{ error: { code, message } }` everywhere but under `/v1`, the front door (src/gateway),
 * which answers in the providers' own shapes.
 *
 * Order matters: security headers first (so even a refused request carries them), then the
 * cross-site check, then auth, then the routes, which all inherit the hooks (Bull Board's too).
 */
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { MIN_ADMIN_TOKEN_LENGTH } from '../config/admin-settings.js';
import { AikeysError } from '../core/errors.js';
import { gatewayPlugin } from '../gateway/plugin.js';
import { createFailedAuthLimiter, installAuth } from './auth.js';
import { registerBullBoard } from './bull-board.js';
import { installErrorHandling } from './errors.js';
import { acceptAll } from './api-schema.js';
import { registerOpenApi } from './openapi.js';
import { registerAdminActionRoutes } from './routes/admin-actions.js';
import { registerAccountRoutes } from './routes/accounts.js';
import { registerDashboardRoutes } from './routes/dashboard.js';
import { registerFailureRoutes } from './routes/failures.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerImportRoutes } from './routes/import.js';
import { registerKeyActionRoutes } from './routes/key-actions.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerModelRoutes } from './routes/models.js';
import { registerMetricsRoutes } from './routes/metrics.js';
import { registerSettingsRoutes } from './routes/settings.js';
import { registerSignInRoutes } from './routes/sign-in.js';
import { registerUsageRoutes } from './routes/usage.js';
import { installSameOriginCheck } from './same-origin.js';
import { registerSecurityHeaders } from './security-headers.js';
import { registerSessionCookies } from './session.js';
import type { AdminAppDeps } from './types.js';

export type { AdminAppDeps, BlockOptions, KeyActions } from './types.js';

export async function buildAdminApp(deps: AdminAppDeps): Promise<FastifyInstance> {
  // The config refuses such a token already; this keeps any other caller from a guessable one.
  if (deps.adminToken && deps.adminToken.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new AikeysError(
      'ADMIN_TOKEN_TOO_SHORT',
      `AIKEYS_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters; make one with \`aikeys gen-key\``,
    );
  }
  const app = Fastify({
    // pino from src/core/logger.ts: its redaction covers the authorization header should a request be logged.
    loggerInstance: deps.logger.child({ component: 'admin-http' }) as FastifyBaseLogger,
    // The dashboard polls every few seconds; access lines would drown the workers' logs.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    // Only the proxies the operator names: any other client could otherwise pick its own address
    // (dodging the failed-sign-in limit) or claim HTTPS.
    trustProxy: [...deps.config.services.trustProxy],
  });
  app.decorateRequest('adminAuth', undefined);
  installErrorHandling(app);
  await registerSecurityHeaders(app);
  await registerSessionCookies(app, deps.adminToken);
  // Not global: only failed authentications are counted (auth.ts), never ordinary requests.
  await app.register(rateLimit, { global: false });
  const limiter = createFailedAuthLimiter(app);
  installSameOriginCheck(app);
  // Before any route, so every route (Bull Board's included) inherits the hook.
  installAuth(app, deps.adminToken, limiter);

  // Before the routes: it documents the routes registered after it (only /api ones, openapi.ts).
  await registerOpenApi(app);
  // The /api routes check their input with zod themselves (api-schema.ts); their JSON schemas
  // document it and shape the answers. A scope of their own keeps fastify's validator for the rest.
  await app.register(async (api) => {
    api.setValidatorCompiler(acceptAll);
    registerHealthRoutes(api, deps);
    registerAccountRoutes(api, deps);
    registerKeyRoutes(api, deps);
    registerModelRoutes(api, deps);
    registerKeyActionRoutes(api, deps);
    registerAdminActionRoutes(api, deps);
    registerSettingsRoutes(api, deps);
    registerUsageRoutes(api, deps);
    registerFailureRoutes(api, deps);
    registerImportRoutes(api, deps);
  });
  registerMetricsRoutes(app, deps);
  await registerSignInRoutes(app, deps.adminToken, limiter);
  await registerDashboardRoutes(app);
  await registerBullBoard(app, deps.queues, { write: deps.config.services.boardWrite });
  if (deps.gateway) await app.register(gatewayPlugin, { ...deps.gateway, prefix: '/v1' });

  // Not made ready here: the caller may add routes (or decorate) before listen/inject readies it.
  return app;
}
