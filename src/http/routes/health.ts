/**
 * Liveness (`/healthz`, public, touches nothing), readiness (`/readyz`, public, when the process's
 * probes are given) and system health from Postgres (`/api/health`).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { registerReadyRoute } from '../../observability/probe-routes.js';
import { getSystemHealth } from '../../store/health.js';
import { jsonSchemaOf, OPEN_OBJECT_OR_NULL, routeSchema, type JsonSchema } from '../api-schema.js';
import type { AdminAppDeps } from '../types.js';

const HealthSchema = z.object({
  total_keys: z.number().int(),
  active_keys: z.number().int(),
  disabled_keys: z.number().int().describe('Removed keys included'),
  blocked_keys: z.number().int(),
  exhausted_keys: z.number().int(),
  accounts: z.number().int(),
  healthy: z.boolean().describe('At least one key is active'),
  encryption_enabled: z.boolean(),
  keys_sealed_by_other_master_key: z.number().int().nullable(),
  usage_rejects: z.number().int().describe('Usage records set aside in ai_usage_rejects'),
  keys_by_master_key: z.array(
    z.object({
      master_key_id: z.string().describe('Fingerprint, never the key'),
      role: z.string().nullable(),
      keys: z.number().int(),
      v1_keys: z.number().int(),
    }),
  ),
});

/** `config` is the running configuration's state, shaped by its own module: passed through whole. */
function healthResponse(): JsonSchema {
  const schema = jsonSchemaOf(HealthSchema);
  const properties = schema.properties as Record<string, JsonSchema>;
  return { ...schema, properties: { ...properties, config: OPEN_OBJECT_OR_NULL } };
}

export function registerHealthRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  app.get('/healthz', { config: { public: true } }, async () => ({ ok: true }));
  if (deps.probes) registerReadyRoute(app, deps.probes.readiness);

  const schema = routeSchema({
    summary: 'System health',
    description: 'Keys by state, accounts, encryption, usage rejects, from Postgres.',
    tags: ['system'],
    response: healthResponse(),
  });
  app.get('/api/health', { schema }, async () => {
    const h = await getSystemHealth(deps.db, deps.config);
    // snake_case field names, the same as `aikeys health` and the table columns, so a script reads
    // either answer with the same names.
    return {
      total_keys: h.totalKeys,
      active_keys: h.activeKeys,
      disabled_keys: h.disabledKeys,
      blocked_keys: h.blockedKeys,
      exhausted_keys: h.exhaustedKeys,
      accounts: h.accounts,
      healthy: h.healthy,
      encryption_enabled: h.encryptionEnabled,
      keys_sealed_by_other_master_key: h.keysSealedByOtherMasterKey,
      usage_rejects: h.usageRejects,
      keys_by_master_key: h.keysByMasterKey.map((u) => ({
        master_key_id: u.masterKeyId,
        role: u.role,
        keys: u.keys,
        v1_keys: u.v1Keys,
      })),
      config: h.config,
    };
  });
}
