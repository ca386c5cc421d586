/**
 * `GET /metrics`: Prometheus text format from the app's own registry (see ../metrics.ts), merged
 * with what the process measures (job path, when a worker runs in it) when its probes are given.
 */
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { createMetricsRegistry } from '../metrics.js';
import type { AdminAppDeps } from '../types.js';

export function registerMetricsRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  const own = createMetricsRegistry(deps);
  const registry = deps.probes ? Registry.merge([own, deps.probes.registry]) : own;
  app.get('/metrics', async (_request, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
}
