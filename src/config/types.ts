/**
 * Terminology
 * - key: one provider API key from `KEY_N=<secret>`; `N` is its number, `key_N` its name.
 * - account: a group of one provider's keys sharing a priority; per provider the first half of the
 *   keys (sorted by N) is the primary account (priority 1), the rest the fallback (priority 2).
 * - provider: where a key is spent (`openai`, `anthropic`, `openrouter`, ...), with its endpoint.
 * - system settings: the `AI_*` values that tune leasing, retries and limits.
 * - service settings: where Redis, Postgres and the HTTP server are.
 * Everything here is parsed and validated once at the edge (`loadConfig`) and frozen after.
 */
import type { z } from 'zod';
import type { Secret } from '../core/secret.js';
import type { SettingGroup } from './setting-declaration.js';
import type { SETTINGS } from './setting-declarations.js';
import type { CheckedElsewhere } from './setting-types.js';

export type ProviderApi = 'openai' | 'anthropic';

/**
 * A configured key as any process may hold it: no secret, only the secret's SHA-256 (what Postgres
 * finds keys by, and enough to tell whether the file changed). Key secrets are in an
 * ImportableConfig only; processes that do not import hold an AikeysConfig without them
 * (key-secrets.ts).
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

type Declared = (typeof SETTINGS)[number];

/** The parsed value a declared setting's type gives. */
type ValueOf<T> = T extends { readonly schema: infer S extends z.ZodType }
  ? z.output<S>
  : T extends CheckedElsewhere<infer V>
    ? V
    : never;

/** One readonly field per declared setting of `group`, typed by its declaration. */
type SettingsOf<G extends SettingGroup> = {
  readonly [D in Extract<Declared, { group: G }> as D['field']]: ValueOf<D['type']>;
};

/** The `AI_*` settings (setting-declarations.ts says what each one is). */
export type SystemSettings = SettingsOf<'system'>;

/** Redis, Postgres and the HTTP server (setting-declarations.ts says what each one is). */
export type ServiceSettings = SettingsOf<'service'>;

/** A legacy name found in the env file, and how to write it in the new form. */
export interface LegacyNotice {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  /** The new name it maps to, e.g. `KEY_3`. */
  readonly newName: string;
  readonly message: string;
}

/** A configured key with its plaintext: held only by a process that imports, only while it imports. */
export interface ImportableKeyConfig extends KeyConfig {
  readonly secret: Secret;
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
