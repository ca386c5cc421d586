/**
 * The three routes every process answers for its orchestrator and Prometheus: `/healthz` (the
 * process is alive; touches nothing), `/readyz` (200 or 503 with each check) and `/metrics`. No
 * auth on the worker's own server: they carry no secret, only names from the configuration.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness.js';

export interface ProcessProbes {
  readonly readiness: Readiness;
  /** What this process measures; merged into the admin server's own registry when it has one. */
  readonly registry: Registry;
}

export function registerReadyRoute(app: FastifyInstance, readiness: Readiness): void {
  app.get('/readyz', { config: { public: true } }, async (_request, reply) => {
    const report = await readiness.report();
    return reply.code(report.ready ? 200 : 503).send(report);
  });
}

export function registerProbeRoutes(app: FastifyInstance, probes: ProcessProbes): void {
  app.get('/healthz', async () => ({ ok: true }));
  registerReadyRoute(app, probes.readiness);
  app.get('/metrics', async (_request, reply) => {
    const body = await probes.registry.metrics();
    return reply.type(probes.registry.contentType).send(body);
  });
}
