/**
 * Service settings (Redis, Postgres, HTTP) on their own: workers and commands such as `gen-key` or
 * `health` need them even when there is no env file or no key in it.
 */
import { ConfigError } from '../core/errors.js';
import { deepFreeze } from './deep-freeze.js';
import type { EnvEntry } from './env-file.js';
import { mergeSettingSources } from './setting-sources.js';
import { parseServiceSettings, SERVICE_SETTING_NAMES } from './settings-schema.js';
import type { ServiceSettings } from './types.js';

const isServiceSetting = (name: string): boolean => SERVICE_SETTING_NAMES.includes(name);

/**
 * `entries` are the env file's (when there is one); the environment overrides them. Throws a
 * ConfigError naming each bad service setting; key and system settings are not looked at.
 */
export function serviceSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  entries: readonly EnvEntry[] = [],
  file = '',
): ServiceSettings {
  const parsed = parseServiceSettings(mergeSettingSources(entries, file, env, isServiceSetting));
  if (parsed.value === undefined) throw new ConfigError(parsed.problems);
  return deepFreeze(parsed.value);
}
