/**
 * `GET /api/keys`: a page of keys, filtered, searched and sorted in Postgres (src/store/key-listing.ts),
 * and `GET /api/keys/:name`: one key with today's and the last 7 days' usage and its recent failures.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AikeysError } from '../../core/errors.js';
import { addDays, localDate } from '../../core/time-zone.js';
import { listFailures } from '../../store/failures.js';
import { KEY_SORTS, listKeyPage, MAX_KEYS_PER_PAGE } from '../../store/key-listing.js';
import { findKeyByName, KEY_STATUSES } from '../../store/keys.js';
import { usageSeries } from '../../store/usage-series.js';
import { resolveUsageWindow } from '../../store/usage-window.js';
import { parseInput, routeSchema } from '../api-schema.js';
import type { AdminAppDeps } from '../types.js';
import { FailureSchema, failureJson, KeySchema, keyJson, TotalsSchema, totalsJson } from '../views/key.js';

export { keyJson } from '../views/key.js';

const KeysQuery = z
  .object({
    status: z.enum(KEY_STATUSES).optional(),
    provider: z.string().min(1).max(100).optional(),
    model: z.string().min(1).max(255).optional(),
    account_id: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
    q: z
      .string()
      .max(200)
      .optional()
      .describe('Case-insensitive substring of key name, model or account name'),
    page: z.coerce.number().int().min(1).max(1_000_000).default(1),
    per_page: z.coerce.number().int().min(1).max(MAX_KEYS_PER_PAGE).default(50),
    sort: z.enum(KEY_SORTS).default('name').describe('name sorts by key number'),
    order: z.enum(['asc', 'desc']).default('asc'),
    /** Keys removed from the config stay as history; `true` lists them too. */
    include_removed: z.enum(['true', 'false']).default('false'),
  })
  .strict();

const KeyPageSchema = z.object({
  keys: z.array(KeySchema),
  total: z.number().int().describe('Keys matching the filter, on every page'),
  page: z.number().int(),
  per_page: z.number().int(),
});

/** Key names are `key_N`; anything else cannot name a key. */
export const KeyNameParams = z
  .object({ name: z.string().regex(/^key_[1-9][0-9]{0,8}$/, 'a key name is key_N') })
  .strict();

export const RECENT_FAILURES = 20;

const KeyDetailSchema = z.object({
  key: KeySchema.extend({
    today: TotalsSchema.describe('Since local midnight (AI_TIMEZONE)'),
    last_7_days: TotalsSchema.describe('Today and the 6 calendar days before it'),
  }),
  recent_failures: z.array(FailureSchema).describe(`The newest ${RECENT_FAILURES}`),
});

export function registerKeyRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  const schema = routeSchema({
    summary: 'List keys',
    description: `A page of keys with their account, state and usage. per_page at most ${MAX_KEYS_PER_PAGE}.`,
    tags: ['keys'],
    querystring: KeysQuery,
    response: KeyPageSchema,
  });
  app.get('/api/keys', { schema }, async (request) => {
    const q = parseInput(KeysQuery, request.query, 'query');
    const { keys, total } = await listKeyPage(deps.db, {
      ...(q.status === undefined ? {} : { status: q.status }),
      ...(q.provider === undefined ? {} : { provider: q.provider }),
      ...(q.model === undefined ? {} : { model: q.model }),
      ...(q.account_id === undefined ? {} : { accountId: q.account_id }),
      ...(q.q === undefined ? {} : { q: q.q }),
      includeRemoved: q.include_removed === 'true',
      page: q.page,
      perPage: q.per_page,
      sort: q.sort,
      order: q.order,
    });
    return { keys: keys.map(keyJson), total, page: q.page, per_page: q.per_page };
  });

  const detailSchema = routeSchema({
    summary: 'One key',
    description: 'The key, its usage today and over the last 7 days, and its recent failed calls.',
    tags: ['keys'],
    params: KeyNameParams,
    response: KeyDetailSchema,
  });
  app.get('/api/keys/:name', { schema: detailSchema }, async (request) => {
    const { name } = parseInput(KeyNameParams, request.params, 'params');
    const key = await findKeyByName(deps.db, name);
    if (key === undefined) throw new AikeysError('KEY_NOT_FOUND', `No key named ${name}`);
    const timeZone = deps.config.system.timeZone;
    const now = Date.now();
    const today = localDate(now, timeZone);
    const usage = (from: string) =>
      usageSeries(deps.db, {
        window: resolveUsageWindow({ bucket: 'day', from, to: today }, now, timeZone),
        groupBy: 'none',
        filter: { key: name },
        timeZone,
      });
    const [day, week, failures] = await Promise.all([
      usage(today),
      usage(addDays(today, -6)),
      listFailures(deps.db, { key: name, limit: RECENT_FAILURES }),
    ]);
    return {
      key: { ...keyJson(key), today: totalsJson(day.totals), last_7_days: totalsJson(week.totals) },
      recent_failures: failures.map(failureJson),
    };
  });
}
