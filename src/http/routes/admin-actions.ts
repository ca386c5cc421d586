/** `GET /api/admin-actions?limit=N`: the audit trail, newest first (default 50, at most 500). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { listAdminActions, MAX_ADMIN_ACTIONS_LISTED } from '../../store/admin-actions.js';
import { parseInput, routeSchema } from '../api-schema.js';
import type { AdminAppDeps } from '../types.js';

const Query = z
  .object({ limit: z.coerce.number().int().min(1).max(MAX_ADMIN_ACTIONS_LISTED).default(50) })
  .strict();

const ActionSchema = z.object({
  id: z.number().int(),
  actor: z.string().describe('api:<credential> or cli:<OS user>'),
  action: z.string(),
  key_name: z.string().nullable(),
  reason: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).describe('What the action took and produced; never a secret'),
  created_at: z.string(),
});

/** Who did it, as stored in `actor`: the credential the request was authenticated with. */
export function apiActor(request: FastifyRequest): string {
  return request.adminAuth === 'open' || request.adminAuth === undefined
    ? 'api:open'
    : 'api:AIKEYS_ADMIN_TOKEN';
}

export function registerAdminActionRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  const schema = routeSchema({
    summary: 'Audit trail',
    description: 'Operator actions (API and CLI), newest first.',
    tags: ['actions'],
    querystring: Query,
    response: z.object({ actions: z.array(ActionSchema) }),
  });
  app.get('/api/admin-actions', { schema }, async (request) => {
    const { limit } = parseInput(Query, request.query, 'query');
    return { actions: await listAdminActions(deps.db, limit) };
  });
}
