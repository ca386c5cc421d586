/**
 * `GET /api/usage`: requests, tokens, cost and errors per hour or per calendar day, optionally per
 * key, model, account or client and filtered by them (src/store/usage-series.ts says where each
 * number comes from and what is exact). `?hours=N` alone still answers in the older shape (hourly,
 * by_key, by_hour_and_key; src/http/queries/usage.ts) for clients written against it.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AikeysError } from '../../core/errors.js';
import { USAGE_GROUPS, usageSeries } from '../../store/usage-series.js';
import { MAX_BUCKETS, resolveUsageWindow, USAGE_BUCKETS } from '../../store/usage-window.js';
import { parseInput, routeSchema } from '../api-schema.js';
import { usageReport } from '../queries/usage.js';
import type { AdminAppDeps } from '../types.js';
import { TotalsSchema } from '../views/key.js';
import { SeriesSchema, usageJson } from '../views/usage.js';
import { KeyNameParams } from './keys.js';

const END = z
  .string()
  .max(40)
  .describe('A day (2026-11-01, local midnight in AI_TIMEZONE) or an ISO 8601 instant with its zone');

const UsageQuery = z
  .object({
    bucket: z.enum(USAGE_BUCKETS).optional().describe('Default hour'),
    from: END.optional().describe(
      'First bucket (the one holding it). Default: 24 hours or 30 days before `to`',
    ),
    to: END.optional().describe('Last bucket, included (the one holding it). Default: now'),
    group_by: z.enum(USAGE_GROUPS).default('none'),
    key: KeyNameParams.shape.name.optional(),
    model: z.string().min(1).max(255).optional(),
    account_id: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
    client: z.string().min(1).max(64).optional().describe('Front-door client name'),
    hours: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_BUCKETS.hour)
      .optional()
      .describe('Older form: alone, answers the older shape (hourly, by_key, by_hour_and_key)'),
  })
  .strict();

const HOURLY_TOTALS = TotalsSchema.extend({ hour: z.string() });
const LegacySchema = z
  .object({
    hours: z.number().int(),
    since: z.string(),
    hourly: z.array(HOURLY_TOTALS),
    by_key: z.array(TotalsSchema.extend({ key: z.string(), provider: z.string() })),
    by_hour_and_key: z.array(HOURLY_TOTALS.extend({ key: z.string() })),
  })
  .describe('Usage, older shape (?hours=N)');

const NEW_PARAMS = ['bucket', 'from', 'to', 'group_by', 'key', 'model', 'account_id', 'client'] as const;

export function registerUsageRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  const schema = routeSchema({
    summary: 'Usage over time',
    description:
      'Per hour (from the request log, kept AI_LOG_RETENTION_DAYS) or per calendar day in AI_TIMEZONE ' +
      '(closed days from the daily rollups, kept forever, per key or per key, model and client; open ' +
      'days from the log). Without group_by every bucket appears. ' +
      `At most ${MAX_BUCKETS.hour} hours or ${MAX_BUCKETS.day} days.`,
    tags: ['usage'],
    querystring: UsageQuery,
    response: z.union([SeriesSchema, LegacySchema]),
  });
  app.get('/api/usage', { schema }, async (request) => {
    const query = parseInput(UsageQuery, request.query, 'query');
    const raw = (request.query ?? {}) as Record<string, unknown>;
    const newParams = NEW_PARAMS.filter((p) => raw[p] !== undefined);
    if (query.hours !== undefined) {
      if (newParams.length > 0) {
        throw new AikeysError(
          'VALIDATION_FAILED',
          `query.hours: the older form cannot be combined with ${newParams.join(', ')}; use from and to instead`,
        );
      }
      return usageReport(deps.db, query.hours);
    }
    const timeZone = deps.config.system.timeZone;
    const window = resolveUsageWindow(
      { bucket: query.bucket ?? 'hour', from: query.from, to: query.to },
      Date.now(),
      timeZone,
      { from: 'query.from', to: 'query.to' },
    );
    const result = await usageSeries(deps.db, {
      window,
      groupBy: query.group_by,
      filter: { key: query.key, model: query.model, accountId: query.account_id, client: query.client },
      timeZone,
    });
    return usageJson(window, timeZone, result);
  });
}
