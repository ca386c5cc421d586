/**
 * System (`AI_*`) and service settings: one zod schema keyed by the setting names, each with its
 * default (the values README's configuration reference lists, kept so existing env files mean the
 * same). Every value arrives as a string (env file or process environment); an unset or empty
 * setting takes its default. Messages name what is expected and never echo the value, which may
 * be a URL with a password in it.
 */
import { z } from 'zod';
import type { ConfigProblem } from '../core/errors.js';
import { problemAt, type SettingSources } from './setting-sources.js';
import type { ServiceSettings, SystemSettings } from './types.js';

/** Whole number >= min, or the default when unset; `fallback` null keeps "unset" as null. */
function wholeNumber<D extends number | null>(min: number, fallback: D) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): number | D => {
      if (raw === undefined) return fallback;
      const text = raw.trim();
      const value = Number(text);
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) {
        const what = min === 0 ? 'a whole number (0 or more)' : `a whole number of at least ${min}`;
        ctx.issues.push({ code: 'custom', message: `must be ${what}`, input: raw });
        return z.NEVER;
      }
      return value;
    });
}

function text<D extends string | undefined>(fallback: D) {
  return z
    .string()
    .optional()
    .transform((raw): string | D => (raw === undefined ? fallback : raw.trim()));
}

function url(protocols: readonly string[], fallback: string) {
  return z
    .string()
    .optional()
    .transform((raw, ctx): string => {
      if (raw === undefined) return fallback;
      const value = raw.trim();
      let protocol: string | undefined;
      try {
        protocol = new URL(value).protocol;
      } catch {
        protocol = undefined;
      }
      if (protocol === undefined || !protocols.includes(protocol)) {
        const examples = protocols.map((p) => `${p}//...`).join(' or ');
        ctx.issues.push({ code: 'custom', message: `must be a URL starting with ${examples}`, input: raw });
        return z.NEVER;
      }
      return value;
    });
}

const dollars = z
  .string()
  .optional()
  .transform((raw, ctx): number | null => {
    if (raw === undefined) return null;
    const value = Number(raw.trim());
    if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !Number.isFinite(value)) {
      ctx.issues.push({
        code: 'custom',
        message: 'must be an amount in USD (e.g. 250 or 99.50)',
        input: raw,
      });
      return z.NEVER;
    }
    return value;
  });

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const systemSettingsSchema = z.object({
  AI_DEFAULT_MODEL: text('gpt-4-turbo'),
  AI_FALLBACK_MODEL: text('gpt-3.5-turbo'),
  AI_DAILY_QUOTA_PER_KEY: wholeNumber(1, 100_000),
  AI_MAX_RETRIES: wholeNumber(0, 3),
  AI_RETRY_DELAY_MS: wholeNumber(0, 100),
  AI_CIRCUIT_BREAKER_THRESHOLD: wholeNumber(1, 3),
  AI_BLOCK_SECONDS: wholeNumber(0, 1800),
  AI_LEASE_TTL_MS: wholeNumber(1, 120_000),
  AI_KEY_MAX_CONCURRENCY: wholeNumber(1, null),
  AI_KEY_PROBE_AFTER_MS: wholeNumber(0, 300_000),
  AI_PROVIDER_COOLDOWN_MS: wholeNumber(0, 30_000),
  AI_NO_KEY_WAIT_MS: wholeNumber(0, 600_000),
  AI_REQUEST_TIMEOUT_MS: wholeNumber(1, 60_000),
  AI_JOB_LOCK_MS: wholeNumber(1000, 60_000),
  AI_STALLED_INTERVAL_MS: wholeNumber(1000, 30_000),
  AI_USAGE_CLAIM_AFTER_MS: wholeNumber(0, 30_000),
  AI_USAGE_BACKLOG_MAX: wholeNumber(1, 100_000),
  AI_WORKER_CONCURRENCY: wholeNumber(1, 16),
  AI_ACCOUNT_DAILY_QUOTA: wholeNumber(0, null),
  AI_ACCOUNT_MONTHLY_BUDGET: dollars,
  AI_PRICES_FILE: text(undefined),
});

export const serviceSettingsSchema = z.object({
  REDIS_URL: url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'postgres://postgres@127.0.0.1:5432/aikeys'),
  AIKEYS_PREFIX: text('{aikeys}'),
  AIKEYS_QUEUE: text('ai-jobs').refine((name) => !name.includes(':'), {
    message: 'must not contain ":" (BullMQ reserves it as the key separator)',
  }),
  PORT: wholeNumber(0, 3000).refine((port) => port <= 65_535, { message: 'must be a port number (0-65535)' }),
  HOST: text('127.0.0.1'),
  LOG_LEVEL: text('info').refine((level) => (LOG_LEVELS as readonly string[]).includes(level), {
    message: `must be one of ${LOG_LEVELS.join(', ')}`,
  }),
  AIKEYS_ADMIN_TOKEN: text(undefined),
});

/** AI_ENCRYPTION_KEY(_PREVIOUS) are checked on their own (see encryption-key.ts): they are Secrets. */
export const ENCRYPTION_KEY_SETTING = 'AI_ENCRYPTION_KEY';
/** Comma-separated older master keys: they open envelopes, never seal (online rotation). */
export const ENCRYPTION_KEY_PREVIOUS_SETTING = 'AI_ENCRYPTION_KEY_PREVIOUS';
export const SYSTEM_SETTING_NAMES: readonly string[] = [
  ENCRYPTION_KEY_SETTING,
  ENCRYPTION_KEY_PREVIOUS_SETTING,
  ...Object.keys(systemSettingsSchema.shape),
];
export const SERVICE_SETTING_NAMES: readonly string[] = Object.keys(serviceSettingsSchema.shape);

type Parsed<T> = { value: T; problems: [] } | { value: undefined; problems: ConfigProblem[] };

function parseWith<S extends z.ZodType>(schema: S, sources: SettingSources): Parsed<z.output<S>> {
  const input: Record<string, string> = {};
  for (const [name, source] of sources) input[name] = source.value;
  const result = schema.safeParse(input);
  if (result.success) return { value: result.data, problems: [] };
  const problems = result.error.issues.map((issue): ConfigProblem => {
    const name = String(issue.path[0] ?? '');
    const source = sources.get(name);
    return source === undefined
      ? { file: '', name, message: issue.message }
      : problemAt(source, name, issue.message);
  });
  return { value: undefined, problems };
}

/**
 * How much longer a lease must live than the provider call it covers: besides the call itself
 * (AI_REQUEST_TIMEOUT_MS) a lease spans decrypting the key, building the usage record and the release's
 * own round trip, and a busy event loop can add a few seconds to all of them.
 */
export const LEASE_TTL_MARGIN_MS = 5000;

/**
 * A lease that can expire while its call is still running hands the key to another caller beyond
 * its concurrency cap and reserves nothing for the call's tokens meanwhile: refused at startup.
 */
function leaseOutlivesCall(
  sources: SettingSources,
  leaseTtlMs: number,
  requestTimeoutMs: number,
): ConfigProblem | null {
  if (leaseTtlMs >= requestTimeoutMs + LEASE_TTL_MARGIN_MS) return null;
  const name = sources.has('AI_LEASE_TTL_MS') ? 'AI_LEASE_TTL_MS' : 'AI_REQUEST_TIMEOUT_MS';
  const message =
    `AI_LEASE_TTL_MS (${leaseTtlMs}) must be at least AI_REQUEST_TIMEOUT_MS (${requestTimeoutMs}) + ` +
    `${LEASE_TTL_MARGIN_MS} ms, so that a lease cannot expire while its provider call is still running`;
  const hint = `Raise AI_LEASE_TTL_MS to ${requestTimeoutMs + LEASE_TTL_MARGIN_MS} or more, or lower AI_REQUEST_TIMEOUT_MS`;
  const source = sources.get(name);
  return source === undefined ? { file: '', name, message, hint } : problemAt(source, name, message, hint);
}

export function parseSystemSettings(
  sources: SettingSources,
): Parsed<Omit<SystemSettings, 'encryptionKey' | 'previousEncryptionKeys'>> {
  const parsed = parseWith(systemSettingsSchema, sources);
  if (parsed.value === undefined) return parsed;
  const s = parsed.value;
  const ttlProblem = leaseOutlivesCall(sources, s.AI_LEASE_TTL_MS, s.AI_REQUEST_TIMEOUT_MS);
  if (ttlProblem) return { value: undefined, problems: [ttlProblem] };
  return {
    problems: [],
    value: {
      defaultModel: s.AI_DEFAULT_MODEL,
      fallbackModel: s.AI_FALLBACK_MODEL,
      dailyQuotaPerKey: s.AI_DAILY_QUOTA_PER_KEY,
      maxRetries: s.AI_MAX_RETRIES,
      retryDelayMs: s.AI_RETRY_DELAY_MS,
      circuitBreakerThreshold: s.AI_CIRCUIT_BREAKER_THRESHOLD,
      blockSeconds: s.AI_BLOCK_SECONDS,
      leaseTtlMs: s.AI_LEASE_TTL_MS,
      keyMaxConcurrency: s.AI_KEY_MAX_CONCURRENCY,
      keyProbeAfterMs: s.AI_KEY_PROBE_AFTER_MS,
      providerCooldownMs: s.AI_PROVIDER_COOLDOWN_MS,
      noKeyWaitMs: s.AI_NO_KEY_WAIT_MS,
      requestTimeoutMs: s.AI_REQUEST_TIMEOUT_MS,
      jobLockMs: s.AI_JOB_LOCK_MS,
      stalledIntervalMs: s.AI_STALLED_INTERVAL_MS,
      usageClaimAfterMs: s.AI_USAGE_CLAIM_AFTER_MS,
      usageBacklogMax: s.AI_USAGE_BACKLOG_MAX,
      workerConcurrency: s.AI_WORKER_CONCURRENCY,
      accountDailyQuota: s.AI_ACCOUNT_DAILY_QUOTA,
      accountMonthlyBudget: s.AI_ACCOUNT_MONTHLY_BUDGET,
      pricesFile: s.AI_PRICES_FILE,
    },
  };
}

export function parseServiceSettings(sources: SettingSources): Parsed<ServiceSettings> {
  const parsed = parseWith(serviceSettingsSchema, sources);
  if (parsed.value === undefined) return parsed;
  const s = parsed.value;
  return {
    problems: [],
    value: {
      redisUrl: s.REDIS_URL,
      databaseUrl: s.DATABASE_URL,
      prefix: s.AIKEYS_PREFIX,
      queueName: s.AIKEYS_QUEUE,
      port: s.PORT,
      host: s.HOST,
      logLevel: s.LOG_LEVEL,
      adminToken: s.AIKEYS_ADMIN_TOKEN,
    },
  };
}
