/** `GET /metrics`: Prometheus text format from the app's own registry (see ../metrics.ts). */
import type { FastifyInstance } from 'fastify';
import { createMetricsRegistry } from '../metrics.js';
import type { AdminAppDeps } from '../types.js';

export function registerMetricsRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  const registry = createMetricsRegistry(deps);
  app.get('/metrics', async (_request, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}
