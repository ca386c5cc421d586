/** `GET /api/usage?hours=24`: requests, tokens, cost and errors per hour and per key. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { validationError } from '../errors.js';
import { usageReport } from '../queries/usage.js';
import type { AdminAppDeps } from '../types.js';

/** 31 days of hourly buckets is as far back as a chart stays readable. */
const MAX_HOURS = 24 * 31;

const UsageQuery = z.object({
  hours: z.coerce.number().int().min(1).max(MAX_HOURS).default(24),
});

export function registerUsageRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  app.get('/api/usage', async (request) => {
    const parsed = UsageQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw validationError(parsed.error, 'query');
    return usageReport(deps.db, parsed.data.hours);
  });
}
