/** `GET /api/settings`: the configuration without secrets (see settings-view.ts). */
import type { FastifyInstance } from 'fastify';
import { settingsView } from '../settings-view.js';
import type { AdminAppDeps } from '../types.js';

export function registerSettingsRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  const adminTokenSet = deps.adminToken !== undefined && deps.adminToken !== '';
  app.get('/api/settings', async () => settingsView(deps.config, adminTokenSet));
}
