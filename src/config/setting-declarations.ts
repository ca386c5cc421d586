/**
 * Every setting aikeys reads, declared once (see SettingDeclaration for what each field means).
 * To add one: append an entry to SETTINGS below (name, field, group, type with its default,
 * description, reloadable; secret/required/unset/example when they apply), use the new field
 * (`config.system.<field>` or `config.services.<field>`), then run `npm run docs:settings` to
 * regenerate the README table and config/.env.example. Order here is the order of the docs and the
 * settings view.
 */
import { BLOCK_CEILING_SECONDS } from '../core/block-limits.js';
import type { Secret } from '../core/secret.js';
import { SERVICE_SETTINGS } from './service-setting-declarations.js';
import type { SettingDeclaration } from './setting-declaration.js';
import {
  checked,
  checkedElsewhere,
  cronPattern,
  dollars,
  text,
  timeZone,
  wholeNumber,
} from './setting-types.js';

export { LOG_LEVELS } from './service-setting-declarations.js';

const SYSTEM_SETTINGS = [
  {
    name: 'AI_ENCRYPTION_KEY',
    field: 'encryptionKey',
    group: 'system',
    type: checkedElsewhere<Secret>(), // encryption-key.ts
    description:
      'Master key that encrypts API keys at rest: base64 of exactly 32 bytes (`aikeys gen-key`). Keep it secret, and keep it: keys stored under it cannot be read without it.',
    reloadable: false,
    secret: true,
    required: true,
  },
  {
    name: 'AI_ENCRYPTION_KEY_PREVIOUS',
    field: 'previousEncryptionKeys',
    group: 'system',
    type: checkedElsewhere<readonly Secret[]>(), // encryption-key.ts
    description:
      'Older master keys, comma separated: they still open keys sealed under them while `aikeys rotate-encryption-key` reseals everything under `AI_ENCRYPTION_KEY`; never used to seal.',
    reloadable: false,
    secret: true,
    unset: 'none',
  },
  {
    name: 'AI_DEFAULT_MODEL',
    field: 'defaultModel',
    group: 'system',
    type: text('gpt-4-turbo'),
    description: 'Model of keys without `KEY_N_MODEL` (stored with each key by `aikeys import`).',
    reloadable: false,
  },
  {
    name: 'AI_FALLBACK_MODEL',
    field: 'fallbackModel',
    group: 'system',
    type: text('gpt-3.5-turbo'),
    description: 'Keys of this model serve a requested model no key can serve.',
    reloadable: false, // the front door's model list (/v1/models) is built with it at start
  },
  {
    name: 'AI_DAILY_QUOTA_PER_KEY',
    field: 'dailyQuotaPerKey',
    group: 'system',
    type: wholeNumber(1, 100_000),
    description: 'Tokens per key per day, for keys without `KEY_N_DAILY_LIMIT`.',
    reloadable: true,
  },
  {
    name: 'AI_MAX_RETRIES',
    field: 'maxRetries',
    group: 'system',
    type: wholeNumber(0, 3),
    description: 'Retries on other keys after a key-caused failure.',
    reloadable: true,
  },
  {
    name: 'AI_RETRY_DELAY_MS',
    field: 'retryDelayMs',
    group: 'system',
    type: wholeNumber(0, 100),
    description: 'Backoff step between attempts in ms (attempt × delay).',
    reloadable: true,
  },
  {
    name: 'AI_CIRCUIT_BREAKER_THRESHOLD',
    field: 'circuitBreakerThreshold',
    group: 'system',
    type: wholeNumber(1, 3),
    description: 'Consecutive failures that disable a key (at least 1).',
    reloadable: true,
  },
  {
    name: 'AI_BLOCK_SECONDS',
    field: 'blockSeconds',
    group: 'system',
    type: wholeNumber(0, 1800),
    description: 'Block of a rate-limited key when the provider gives no Retry-After (seconds).',
    reloadable: true,
  },
  {
    name: 'AI_MAX_BLOCK_SECONDS',
    field: 'maxBlockSeconds',
    group: 'system',
    type: checked(
      wholeNumber(1, 86_400),
      (seconds) => seconds <= BLOCK_CEILING_SECONDS,
      `must be at most ${BLOCK_CEILING_SECONDS} (one year)`,
    ),
    description:
      "Longest block of a key (seconds), whatever a provider's Retry-After or reset headers say or an operator asks; at least `AI_BLOCK_SECONDS`.",
    reloadable: true,
  },
  {
    name: 'AI_LEASE_TTL_MS',
    field: 'leaseTtlMs',
    group: 'system',
    type: wholeNumber(1, 120_000),
    description:
      'A lease whose worker died frees its key after this (ms); at least `AI_REQUEST_TIMEOUT_MS` + 5000.',
    // Leases already granted keep the old TTL, and it is checked against the timeout at load.
    reloadable: false,
  },
  {
    name: 'AI_KEY_MAX_CONCURRENCY',
    field: 'keyMaxConcurrency',
    group: 'system',
    type: wholeNumber(1, null),
    description: 'Concurrent calls per key, for keys without `KEY_N_MAX_CONCURRENCY`.',
    reloadable: true,
    unset: 'unlimited',
  },
  {
    name: 'AI_KEY_PROBE_AFTER_MS',
    field: 'keyProbeAfterMs',
    group: 'system',
    type: wholeNumber(0, 300_000),
    description: 'A breaker-disabled key gets one probe call after this (ms).',
    reloadable: true,
  },
  {
    name: 'AI_PROVIDER_COOLDOWN_MS',
    field: 'providerCooldownMs',
    group: 'system',
    type: wholeNumber(0, 30_000),
    description: 'Pause of a provider whose keys all fail at once (ms).',
    reloadable: true,
  },
  {
    name: 'AI_NO_KEY_WAIT_MS',
    field: 'noKeyWaitMs',
    group: 'system',
    type: wholeNumber(0, 600_000),
    description: 'How long a job waits for a usable key before failing with "No available API keys" (ms).',
    reloadable: true,
  },
  {
    name: 'AI_REQUEST_TIMEOUT_MS',
    field: 'requestTimeoutMs',
    group: 'system',
    type: wholeNumber(1, 60_000),
    description: 'Timeout of one provider call (ms).',
    // Must stay below the lease TTL of calls already running.
    reloadable: false,
  },
  {
    name: 'AI_MAX_PROMPT_BYTES',
    field: 'maxPromptBytes',
    group: 'system',
    type: wholeNumber(1, 1_048_576),
    description: 'A job whose message contents together exceed this many UTF-8 bytes fails at once.',
    // Producers and the front door check it at enqueue with their start value: a worker taking a
    // lower one live would fail jobs they admitted.
    reloadable: false,
  },
  {
    name: 'AI_JOB_LOCK_MS',
    field: 'jobLockMs',
    group: 'system',
    type: wholeNumber(1000, 60_000),
    description:
      "A dead worker's jobs return to the queue after its lock lapses (ms; renewed while a job runs).",
    reloadable: false, // a BullMQ Worker option, fixed when the worker is built
  },
  {
    name: 'AI_STALLED_INTERVAL_MS',
    field: 'stalledIntervalMs',
    group: 'system',
    type: wholeNumber(1000, 30_000),
    description: 'How often workers look for jobs whose lock lapsed (ms).',
    reloadable: false, // a BullMQ Worker option, fixed when the worker is built
  },
  {
    name: 'AI_USAGE_CLAIM_AFTER_MS',
    field: 'usageClaimAfterMs',
    group: 'system',
    type: wholeNumber(0, 30_000),
    description:
      'Usage records a stopped worker read but did not write are written by another after this (ms).',
    reloadable: true,
  },
  {
    name: 'AI_USAGE_BACKLOG_MAX',
    field: 'usageBacklogMax',
    group: 'system',
    type: wholeNumber(1, 100_000),
    description:
      'Usage records waiting for Postgres above which workers take no new jobs until half drained (never dropped; ~180 bytes each).',
    reloadable: true,
  },
  {
    name: 'AI_WORKER_CONCURRENCY',
    field: 'workerConcurrency',
    group: 'system',
    type: wholeNumber(1, 16),
    description: 'Jobs processed at once by each worker process.',
    reloadable: false, // sizes the worker and its connections when it starts
  },
  {
    name: 'AI_ACCOUNT_DAILY_QUOTA',
    field: 'accountDailyQuota',
    group: 'system',
    type: wholeNumber(0, null),
    description: 'Tokens per account per day.',
    reloadable: true,
    unset: "sum of its keys' daily limits",
  },
  {
    name: 'AI_ACCOUNT_MONTHLY_BUDGET',
    field: 'accountMonthlyBudget',
    group: 'system',
    type: dollars(),
    description: 'USD per account per month.',
    reloadable: true,
    unset: 'no budget',
  },
  {
    name: 'AI_TIMEZONE',
    field: 'timeZone',
    group: 'system',
    type: timeZone('UTC'),
    description:
      'IANA time zone (e.g. `Europe/Berlin`) whose calendar days and months the daily reset, daily quotas, daily history and monthly budgets count in.',
    reloadable: false, // the reset's schedule is registered with it at start
  },
  {
    name: 'AI_DAILY_RESET_CRON',
    field: 'dailyResetCron',
    group: 'system',
    type: cronPattern('0 0 * * *'),
    description:
      'When the daily reset runs, as a cron pattern in `AI_TIMEZONE`; it closes the calendar day before the one it runs in, once. History and "today" still begin at local midnight.',
    reloadable: false, // registered with BullMQ when a replica starts
  },
  {
    name: 'AI_LOG_RETENTION_DAYS',
    field: 'logRetentionDays',
    group: 'system',
    type: wholeNumber(1, 90),
    description:
      'Days `ai_request_logs` rows are kept; the daily `prune-logs` task removes older ones (the daily history in `ai_key_daily_usage` and `ai_key_daily_usage_detail` is kept).',
    reloadable: true,
  },
  {
    name: 'AI_PRICES_FILE',
    field: 'pricesFile',
    group: 'system',
    type: text(undefined),
    description:
      'JSON `{ "<model>": { "input": usd_per_1M, "output": usd_per_1M } }` overriding model prices for cost estimates.',
    reloadable: false, // read once when a process starts
    unset: 'built-in prices',
    example: 'config/prices.json',
  },
] as const satisfies readonly SettingDeclaration[];

/** Every setting: behaviour first, then service, the order the README table and the settings view use. */
export const SETTINGS = [...SYSTEM_SETTINGS, ...SERVICE_SETTINGS] as const;
