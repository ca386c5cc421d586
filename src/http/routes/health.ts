/**
 * Liveness (`/healthz`, public, touches nothing), readiness (`/readyz`, public, when the process's
 * probes are given) and system health from Postgres (`/api/health`).
 */
import type { FastifyInstance } from 'fastify';
import { registerReadyRoute } from '../../observability/probe-routes.js';
import { getSystemHealth } from '../../store/health.js';
import type { AdminAppDeps } from '../types.js';

export function registerHealthRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  app.get('/healthz', { config: { public: true } }, async () => ({ ok: true }));
  if (deps.probes) registerReadyRoute(app, deps.probes.readiness);

  app.get('/api/health', async () => {
    const h = await getSystemHealth(deps.db, deps.config);
    // snake_case field names, the same as `aikeys health`, so dashboards and scripts written against
    // the PHP system's health output read it unchanged.
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
