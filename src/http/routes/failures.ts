/** `GET /api/failures?limit=50&key=&client=&since=`: failed provider calls, newest first. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listFailures, MAX_FAILURES_LISTED } from '../../store/failures.js';
import { parseInput, routeSchema } from '../api-schema.js';
import type { AdminAppDeps } from '../types.js';
import { FailureSchema, failureJson } from '../views/key.js';
import { KeyNameParams } from './keys.js';

const FailuresQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_FAILURES_LISTED).default(50),
    key: KeyNameParams.shape.name.optional(),
    client: z.string().min(1).max(64).optional().describe('Front-door client name'),
    since: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('ISO 8601 instant with its zone: only failures at or after it'),
  })
  .strict();

export function registerFailureRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  const schema = routeSchema({
    summary: 'Failed provider calls',
    description:
      'Calls without a 2xx answer, newest first; error messages as stored (redacted before writing).',
    tags: ['usage'],
    querystring: FailuresQuery,
    response: z.object({ failures: z.array(FailureSchema) }),
  });
  app.get('/api/failures', { schema }, async (request) => {
    const q = parseInput(FailuresQuery, request.query, 'query');
    const failures = await listFailures(deps.db, {
      limit: q.limit,
      key: q.key,
      client: q.client,
      since: q.since === undefined ? undefined : new Date(q.since),
    });
    return { failures: failures.map(failureJson) };
  });
}
