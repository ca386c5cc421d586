/**
 * How a key, usage totals and a failed call look in the API, declared once as zod schemas: the
 * routes send them, the OpenAPI document describes them (api-schema.ts). Built from store views,
 * which never select `api_key_encrypted`; the fields are listed again here so a column added to a
 * store view reaches the API only by a deliberate edit.
 */
import { z } from 'zod';
import type { FailureView } from '../../store/failures.js';
import { KEY_STATUSES, type KeyView } from '../../store/keys.js';
import type { UsageTotals } from '../../store/usage-series.js';

const isoOrNull = z.string().nullable().describe('ISO 8601 instant, or null');

export const KeySchema = z
  .object({
    name: z.string().describe('key_N'),
    number: z.number().int(),
    account: z.string().describe('Account name'),
    account_id: z.number().int(),
    provider: z.string(),
    priority: z.number().int().describe('1 primary, 2 fallback'),
    model: z.string(),
    status: z.enum(KEY_STATUSES),
    used_today: z.number().describe('Tokens used today'),
    daily_limit: z.number().describe('Tokens per day'),
    max_concurrency: z.number().int().nullable(),
    consecutive_failures: z.number().int(),
    temporary_block_until: isoOrNull,
    disabled_reason: z.string().nullable(),
    disabled_kind: z.enum(['manual', 'breaker', 'invalid_key', 'removed']).nullable(),
    last_used_at: isoOrNull,
  })
  .describe('Key (never its secret)');
export type KeyJson = z.infer<typeof KeySchema>;

export function keyJson(k: KeyView): KeyJson {
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

export const TotalsSchema = z.object({
  requests: z.number().int().describe('Provider calls'),
  tokens: z.number().int(),
  cost: z.number().describe('Estimated cost, USD'),
  errors: z.number().int().describe('Calls without a 2xx answer (status 0: no answer)'),
});

export function totalsJson(t: UsageTotals): z.infer<typeof TotalsSchema> {
  return { requests: t.requests, tokens: t.tokens, cost: t.cost, errors: t.errors };
}

export const FailureSchema = z
  .object({
    at: z.string().describe('ISO 8601 instant of the call'),
    key: z.string().nullable(),
    provider: z.string(),
    model: z.string(),
    status: z.number().int().describe('HTTP status; 0 when no answer came'),
    error: z.string().nullable().describe('As stored: redacted before it was written'),
    job_id: z.string().nullable(),
    attempt: z.number().int(),
    client: z.string().nullable().describe('Front-door client; null for jobs enqueued directly'),
  })
  .describe('Failed provider call');

export function failureJson(f: FailureView): z.infer<typeof FailureSchema> {
  return {
    at: f.at.toISOString(),
    key: f.key,
    provider: f.provider,
    model: f.model,
    status: f.status,
    error: f.error,
    job_id: f.jobId,
    attempt: f.attempt,
    client: f.client,
  };
}
