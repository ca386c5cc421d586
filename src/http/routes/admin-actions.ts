/** `GET /api/admin-actions?limit=N`: the audit trail, newest first (default 50, at most 500). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { listAdminActions, MAX_ADMIN_ACTIONS_LISTED } from '../../store/admin-actions.js';
import { validationError } from '../errors.js';
import type { AdminAppDeps } from '../types.js';

const Query = z
  .object({ limit: z.coerce.number().int().min(1).max(MAX_ADMIN_ACTIONS_LISTED).default(50) })
  .strict();

/** Who did it, as stored in `actor`: the credential the request was authenticated with. */
export function apiActor(request: FastifyRequest): string {
  return request.adminAuth === 'open' || request.adminAuth === undefined
    ? 'api:open'
    : 'api:AIKEYS_ADMIN_TOKEN';
}

export function registerAdminActionRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  app.get('/api/admin-actions', async (request) => {
    const parsed = Query.safeParse(request.query ?? {});
    if (!parsed.success) throw validationError(parsed.error, 'query');
    return { actions: await listAdminActions(deps.db, parsed.data.limit) };
  });
}
