/**
 * From env file text to a validated, frozen AikeysConfig, without I/O: the file gives keys and
 * settings, the process environment overrides settings (never keys). Every problem is collected
 * and thrown at once as one ConfigError.
 */
import { ConfigError, type ConfigProblem } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import { hashSecret } from '../crypto/hash.js';
import { splitAccounts } from './accounts.js';
import { deepFreeze } from './deep-freeze.js';
import { checkEncryptionKey, checkPreviousEncryptionKeys } from './encryption-key.js';
import { parseEnvFile } from './env-file.js';
import { parseKeyEntries } from './key-entries.js';
import { migrateLegacyKeys } from './legacy.js';
import { buildProviders, isProviderSettingName } from './providers.js';
import { mergeSettingSources } from './setting-sources.js';
import {
  ENCRYPTION_KEY_PREVIOUS_SETTING,
  ENCRYPTION_KEY_SETTING,
  parseServiceSettings,
  parseSystemSettings,
  SERVICE_SETTING_NAMES,
  SYSTEM_SETTING_NAMES,
} from './settings-schema.js';
import type { ImportableConfig, ImportableKeyConfig } from './types.js';
import { unknownSettingProblems } from './unknown-settings.js';

export const DEFAULT_PROVIDER = 'openai';

/** Settings the process environment may override; keys are deliberately not among them. */
export function isOverridableSetting(name: string): boolean {
  return (
    SYSTEM_SETTING_NAMES.includes(name) || SERVICE_SETTING_NAMES.includes(name) || isProviderSettingName(name)
  );
}

/** File order first (by line), then problems from the process environment. */
function byLine(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}

export function parseConfig(
  text: string,
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): ImportableConfig {
  const envFile = parseEnvFile(text, file);
  const explicit = parseKeyEntries(envFile.entries, file);
  const legacy = migrateLegacyKeys(envFile.entries, explicit.drafts, file);
  const sources = mergeSettingSources(envFile.entries, file, env, isOverridableSetting);
  const system = parseSystemSettings(sources);
  const services = parseServiceSettings(sources);
  const emptyKeyLine = envFile.entries.find((e) => e.name === ENCRYPTION_KEY_SETTING)?.line;
  const encryption = checkEncryptionKey(sources.get(ENCRYPTION_KEY_SETTING), file, emptyKeyLine);
  const previousKeys = checkPreviousEncryptionKeys(sources.get(ENCRYPTION_KEY_PREVIOUS_SETTING));

  const drafts = [...explicit.drafts, ...legacy.drafts].sort((a, b) => a.number - b.number);
  const providerSet = buildProviders(
    drafts.map((d) => d.provider ?? DEFAULT_PROVIDER),
    sources,
  );
  const problems = [
    ...envFile.problems,
    ...explicit.problems,
    ...legacy.problems,
    ...unknownSettingProblems(envFile.entries, file),
    ...system.problems,
    ...services.problems,
    ...(encryption.problem ? [encryption.problem] : []),
    ...previousKeys.problems,
    ...providerSet.problems,
  ];
  if (problems.length > 0 || !system.value || !services.value || !encryption.key) {
    throw new ConfigError(byLine(problems));
  }

  const settings = system.value;
  const resolved = drafts.map((d) => ({
    draft: d,
    provider: d.provider ?? DEFAULT_PROVIDER,
    dailyLimit: d.dailyLimit ?? settings.dailyQuotaPerKey,
  }));
  const { accounts, refByKey } = splitAccounts(
    resolved.map((r) => ({ number: r.draft.number, provider: r.provider, dailyLimit: r.dailyLimit })),
    settings,
  );
  const keys = resolved.map(({ draft, provider, dailyLimit }): ImportableKeyConfig => {
    const secret = new Secret(draft.secret);
    return {
      number: draft.number,
      name: `key_${draft.number}`,
      secret,
      hash: hashSecret(secret),
      model: draft.model ?? settings.defaultModel,
      provider,
      dailyLimit,
      maxConcurrency: draft.maxConcurrency ?? settings.keyMaxConcurrency,
      accountRef: refByKey.get(draft.number) ?? '',
      line: draft.line,
    };
  });

  return deepFreeze({
    file,
    keys,
    accounts,
    providers: providerSet.providers,
    system: { ...settings, encryptionKey: encryption.key, previousEncryptionKeys: previousKeys.keys },
    services: services.value,
    legacy: legacy.notices,
  });
}
