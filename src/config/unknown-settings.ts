/**
 * Typos in `AI_*` names would otherwise be silently ignored and leave a default in force, so an
 * unknown `AI_*` name in the env file is a problem with a "did you mean" hint. Other unknown names
 * are ignored: the env file may be shared with other software.
 */
import type { ConfigProblem } from '../core/errors.js';
import { closestName } from './did-you-mean.js';
import type { EnvEntry } from './env-file.js';
import { isProviderSettingName } from './providers.js';
import { SYSTEM_SETTING_NAMES } from './settings-schema.js';

export function unknownSettingProblems(entries: readonly EnvEntry[], file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const { name, line } of entries) {
    if (!name.startsWith('AI_') || SYSTEM_SETTING_NAMES.includes(name) || isProviderSettingName(name))
      continue;
    const close = closestName(name, SYSTEM_SETTING_NAMES);
    let hint: string;
    if (close !== undefined) hint = `did you mean ${close}?`;
    else if (name.startsWith('AI_PROVIDER_'))
      hint = 'provider settings are AI_PROVIDER_<NAME>_BASE_URL and AI_PROVIDER_<NAME>_API';
    else hint = 'see config/.env.example for the settings aikeys knows';
    problems.push({ file, line, name, message: 'is not a known setting', hint });
  }
  return problems;
}
