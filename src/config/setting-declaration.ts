/**
 * What one setting declaration says. The list of them (setting-declarations.ts) is the one place a
 * setting is written down: the parser, the config types, the settings view, the README table and
 * config/.env.example are all derived from it.
 */
import type { CheckedElsewhere, SettingType } from './setting-types.js';

/** system: `AI_*` tuning of leasing, retries and limits; service: where Redis, Postgres and HTTP are. */
export type SettingGroup = 'system' | 'service';

export interface SettingDeclaration {
  /** The env var name, as written in the env file. */
  readonly name: string;
  /** The property on SystemSettings / ServiceSettings that holds the parsed value. */
  readonly field: string;
  readonly group: SettingGroup;
  /** Schema and default (setting-types.ts). */
  readonly type: SettingType<unknown> | CheckedElsewhere<unknown>;
  /** One line for humans (README and .env.example); Markdown backticks allowed. */
  readonly description: string;
  /**
   * Whether running processes take a new value from the env file without a restart (the import
   * publishes it: config/published-settings.ts): true for thresholds,
   * retries, quotas and caps, which only steer decisions still to be made; false for values baked
   * into connections, Redis key names, data at rest or options a component is built with.
   */
  readonly reloadable: boolean;
  /** Never shown: the settings view says only "configured" or "not configured". */
  readonly secret?: boolean;
  /** Loading fails without it. */
  readonly required?: boolean;
  /** What unset means when there is no default value (e.g. "unlimited"). */
  readonly unset?: string;
  /** A value shown (commented out) in .env.example where there is no default to show. */
  readonly example?: string;
}

/**
 * A family of names (`KEY_N`, `AI_PROVIDER_<NAME>_BASE_URL`) parsed by key-entries.ts and
 * providers.ts, declared here so the README and .env.example list them next to the settings.
 */
export interface SettingPattern {
  readonly name: string;
  readonly group: 'key' | 'provider';
  /** What it defaults to, as the docs say it (Markdown). */
  readonly default: string;
  /** Shown after `=` in .env.example, e.g. `<model>`. */
  readonly placeholder: string;
  readonly description: string;
  readonly reloadable: boolean;
  readonly secret?: boolean;
}
