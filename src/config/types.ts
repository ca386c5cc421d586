/**
 * Terminology
 * - key: one provider API key from `KEY_N=<secret>`; `N` is its number, `key_N` its name.
 * - account: a group of one provider's keys sharing a priority; per provider the first half of the
 *   keys (sorted by N) is the primary account (priority 1), the rest the fallback (priority 2).
 * - provider: where a key is spent (`openai`, `anthropic`, `openrouter`, ...), with its endpoint.
 * - system settings: the `AI_*` values that tune leasing, retries and limits.
 * - service settings: where Redis, Postgres and the HTTP server are.
 * Everything here is parsed and validated once at the edge (`loadConfig`) and frozen after. Key
 * secrets are in an ImportableConfig only; processes that do not import hold an AikeysConfig
 * without them (key-secrets.ts).
 */
import type { Secret } from '../core/secret.js';

export type ProviderApi = 'openai' | 'anthropic';

/**
 * A configured key as any process may hold it: no secret, only the secret's SHA-256 (what Postgres
 * finds keys by, and enough to tell whether the file changed).
 */
export interface KeyConfig {
  /** N in `KEY_N`. */
  readonly number: number;
  /** `key_N`: the name used in Postgres, logs and API responses. */
  readonly name: string;
  /** SHA-256 hex of the secret (`api_key_hash`). */
  readonly hash: string;
  readonly model: string;
  /** Lower-case provider name; `openai` unless `KEY_N_PROVIDER` says otherwise. */
  readonly provider: string;
  /** Tokens per day: `KEY_N_DAILY_LIMIT`, else `AI_DAILY_QUOTA_PER_KEY`. */
  readonly dailyLimit: number;
  /** Concurrent leases: `KEY_N_MAX_CONCURRENCY`, else `AI_KEY_MAX_CONCURRENCY`; null = unlimited. */
  readonly maxConcurrency: number | null;
  /** Identity of the account the key falls into (see AccountConfig.ref). */
  readonly accountRef: string;
  /** 1-based line of `KEY_N=` in the env file (0 when it came from the process environment). */
  readonly line: number;
}

/** A configured key with its plaintext: held only by a process that imports, only while it imports. */
export interface ImportableKeyConfig extends KeyConfig {
  readonly secret: Secret;
}

export interface AccountConfig {
  /** Stable identity: `<provider>:<priority>`. */
  readonly ref: string;
  /** 1-based position in the config's account list (providers alphabetically, then priority). */
  readonly id: number;
  /** "Primary Account" / "Secondary Account (Fallback)", with the provider named when there are several. */
  readonly name: string;
  readonly provider: string;
  readonly priority: 1 | 2;
  /** Tokens per day for the whole account: `AI_ACCOUNT_DAILY_QUOTA`, else the sum of its keys' daily limits. */
  readonly dailyQuota: number;
  /** Monthly spending limit in USD: `AI_ACCOUNT_MONTHLY_BUDGET`; null = none. */
  readonly monthlyBudget: number | null;
  /** Key numbers, ascending. */
  readonly keyNumbers: readonly number[];
}

export interface ProviderEndpoint {
  readonly name: string;
  /** `AI_PROVIDER_<NAME>_BASE_URL`; undefined = the official client's default. */
  readonly baseUrl: string | undefined;
  /** Wire format: `AI_PROVIDER_<NAME>_API`, default `anthropic` for provider `anthropic`, else `openai`. */
  readonly api: ProviderApi;
}

export interface SystemSettings {
  /** `AI_ENCRYPTION_KEY`: seals and opens. */
  readonly encryptionKey: Secret;
  /** `AI_ENCRYPTION_KEY_PREVIOUS`: older master keys that still open envelopes during a rotation; empty = none. */
  readonly previousEncryptionKeys: readonly Secret[];
  readonly defaultModel: string;
  readonly fallbackModel: string;
  readonly dailyQuotaPerKey: number;
  readonly maxRetries: number;
  readonly retryDelayMs: number;
  readonly circuitBreakerThreshold: number;
  /** Default block for a rate-limited key without Retry-After (`AI_BLOCK_SECONDS`, 1800). */
  readonly blockSeconds: number;
  /** Lease time to live (`AI_LEASE_TTL_MS`, 120000). */
  readonly leaseTtlMs: number;
  /** Default per-key concurrency cap (`AI_KEY_MAX_CONCURRENCY`); null = unlimited. */
  readonly keyMaxConcurrency: number | null;
  /** Half-open probe delay for breaker-disabled keys (`AI_KEY_PROBE_AFTER_MS`, 300000). */
  readonly keyProbeAfterMs: number;
  /** Provider-level breaker cool-down (`AI_PROVIDER_COOLDOWN_MS`, 30000). */
  readonly providerCooldownMs: number;
  /** How long a job waits for a key before failing (`AI_NO_KEY_WAIT_MS`, 600000). */
  readonly noKeyWaitMs: number;
  /** Provider call timeout (`AI_REQUEST_TIMEOUT_MS`, 60000). */
  readonly requestTimeoutMs: number;
  /** BullMQ job lock (`AI_JOB_LOCK_MS`, 60000): renewed while a job runs; a dead worker's jobs return after it lapses. */
  readonly jobLockMs: number;
  /** How often workers look for jobs whose lock lapsed (`AI_STALLED_INTERVAL_MS`, 30000). */
  readonly stalledIntervalMs: number;
  /** Usage records a stopped worker read but did not write are claimed by another after this (`AI_USAGE_CLAIM_AFTER_MS`, 30000). */
  readonly usageClaimAfterMs: number;
  /** Usage records waiting for Postgres above which a worker takes no new jobs (`AI_USAGE_BACKLOG_MAX`, 100000). */
  readonly usageBacklogMax: number;
  /** Jobs per worker process (`AI_WORKER_CONCURRENCY`, 16). */
  readonly workerConcurrency: number;
  /** Per-account overrides; null = derived (see AccountConfig). */
  readonly accountDailyQuota: number | null;
  readonly accountMonthlyBudget: number | null;
  /** Optional JSON file overriding model prices (`AI_PRICES_FILE`). */
  readonly pricesFile: string | undefined;
}

export interface ServiceSettings {
  readonly redisUrl: string;
  readonly databaseUrl: string;
  /** BullMQ and lease-engine key prefix (`AIKEYS_PREFIX`, `{aikeys}`): a Redis Cluster hash tag. */
  readonly prefix: string;
  readonly queueName: string;
  readonly port: number;
  /** Address the admin server binds (`HOST`, 127.0.0.1; 0.0.0.0 in containers, with AIKEYS_ADMIN_TOKEN set). */
  readonly host: string;
  readonly logLevel: string;
  /** Bearer token for the admin API and dashboard (`AIKEYS_ADMIN_TOKEN`); undefined = open on localhost only. */
  readonly adminToken: string | undefined;
}

/** A legacy name found in the env file, and how to write it in the new form. */
export interface LegacyNotice {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  /** The new name it maps to, e.g. `KEY_3`. */
  readonly newName: string;
  readonly message: string;
}

export interface AikeysConfig {
  /** Absolute path of the env file that was read. */
  readonly file: string;
  /** Sorted by number. */
  readonly keys: readonly KeyConfig[];
  readonly accounts: readonly AccountConfig[];
  readonly providers: Readonly<Record<string, ProviderEndpoint>>;
  readonly system: SystemSettings;
  readonly services: ServiceSettings;
  readonly legacy: readonly LegacyNotice[];
}

/** The config as parsed from the env file, key secrets included: what `aikeys import` needs. */
export interface ImportableConfig extends AikeysConfig {
  readonly keys: readonly ImportableKeyConfig[];
}
