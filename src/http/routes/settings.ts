/** `GET /api/settings`: the configuration without secrets (see settings-view.ts). */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { routeSchema } from '../api-schema.js';
import { settingsView } from '../settings-view.js';
import type { AdminAppDeps } from '../types.js';

// Loose objects: the settings view may carry more per setting than listed, and all of it is safe to show.
const Entry = z
  .object({
    name: z.string(),
    value: z
      .union([z.string(), z.number(), z.boolean(), z.null()])
      .describe('Secrets: configured / not configured'),
    description: z.string(),
    reloadable: z.boolean(),
  })
  .loose();

const SettingsSchema = z
  .object({
    config_file: z.string(),
    keys_configured: z.number().int(),
    accounts_configured: z.number().int(),
    system: z.array(Entry),
    services: z.array(Entry),
    providers: z.array(
      z.object({ name: z.string(), base_url: z.string().nullable(), api: z.string() }).loose(),
    ),
    legacy_notices: z.array(
      z
        .object({ line: z.number().int(), name: z.string(), new_name: z.string(), message: z.string() })
        .loose(),
    ),
  })
  .loose();

export function registerSettingsRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  const adminTokenSet = deps.adminToken !== undefined && deps.adminToken !== '';
  const schema = routeSchema({
    summary: 'Settings',
    description:
      'Every declared setting by its env-file name; secrets only as configured or not, URLs masked.',
    tags: ['system'],
    response: SettingsSchema,
  });
  app.get('/api/settings', { schema }, async () => settingsView(deps.config, adminTokenSet));
}
