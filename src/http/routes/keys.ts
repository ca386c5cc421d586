/**
 * `GET /api/keys`: every key with its usage and state (the dashboard's keys table). Built from
 * src/store/keys.ts listings, which never select `api_key_encrypted`; the fields are listed again
 * here so a column added to the store view reaches the API only by a deliberate edit.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { KEY_STATUSES, listKeys, type KeyView } from '../../store/keys.js';
import { validationError } from '../errors.js';
import type { AdminAppDeps } from '../types.js';

export function keyJson(k: KeyView) {
  return {
    name: k.name,
    number: k.number,
    account: k.accountName,
    account_id: k.accountId,
    provider: k.provider,
    priority: k.priority,
    model: k.model,
    status: k.status,
    used_today: k.usedToday,
    daily_limit: k.dailyLimit,
    max_concurrency: k.maxConcurrency,
    consecutive_failures: k.consecutiveFailures,
    temporary_block_until: k.temporaryBlockUntil?.toISOString() ?? null,
    disabled_reason: k.disabledReason,
    disabled_kind: k.disabledKind,
    last_used_at: k.lastUsedAt?.toISOString() ?? null,
  };
}

const KeysQuery = z.object({
  provider: z.string().min(1).max(100).optional(),
  status: z.enum(KEY_STATUSES).optional(),
  /** Keys removed from the config stay as history; `true` lists them too. */
  include_removed: z.enum(['true', 'false']).optional(),
});

export function registerKeyRoutes(app: FastifyInstance, deps: AdminAppDeps): void {
  app.get('/api/keys', async (request) => {
    const parsed = KeysQuery.safeParse(request.query ?? {});
    if (!parsed.success) throw validationError(parsed.error, 'query');
    const q = parsed.data;
    const keys = await listKeys(deps.db, {
      ...(q.provider === undefined ? {} : { provider: q.provider }),
      ...(q.status === undefined ? {} : { status: q.status }),
      includeRemoved: q.include_removed === 'true',
    });
    return { keys: keys.map(keyJson) };
  });
}
