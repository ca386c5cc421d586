/**
 * Where each setting's value came from: a line of the env file, or the process environment, which
 * overrides the file, so a deployment can change one setting without editing the file. Keys (`KEY_N`) never come from the process environment, so only
 * names accepted by `overridable` are taken from it.
 */
import type { ConfigProblem } from '../core/errors.js';
import type { EnvEntry } from './env-file.js';

/** The `file` of a problem whose value came from the process environment. */
export const PROCESS_ENVIRONMENT = '(process environment)';

export interface SettingValue {
  readonly value: string;
  /** The env file, or PROCESS_ENVIRONMENT. */
  readonly file: string;
  /** 1-based line in the env file; undefined for the process environment. */
  readonly line: number | undefined;
}

export type SettingSources = ReadonlyMap<string, SettingValue>;

/**
 * File entries overlaid by the process environment. An empty value counts as unset in both, so
 * `AI_MAX_RETRIES=` keeps the default and an empty variable in the shell does not hide the file.
 */
export function mergeSettingSources(
  entries: readonly EnvEntry[],
  file: string,
  env: Readonly<Record<string, string | undefined>>,
  overridable: (name: string) => boolean,
): Map<string, SettingValue> {
  const sources = new Map<string, SettingValue>();
  for (const entry of entries) {
    if (!overridable(entry.name) || entry.value.trim() === '') continue;
    sources.set(entry.name, { value: entry.value, file, line: entry.line });
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.trim() === '' || !overridable(name)) continue;
    sources.set(name, { value, file: PROCESS_ENVIRONMENT, line: undefined });
  }
  return sources;
}

export function problemAt(source: SettingValue, name: string, message: string, hint?: string): ConfigProblem {
  return {
    file: source.file,
    ...(source.line === undefined ? {} : { line: source.line }),
    name,
    message,
    ...(hint === undefined ? {} : { hint }),
  };
}
