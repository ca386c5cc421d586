/**
 * The config of a process that does not import (a worker replica, the admin server): it needs the
 * master key and the settings, never the plaintext `KEY_N` values. With an env file, the file is
 * read and its key secrets dropped at once (key-secrets.ts). Without one, the settings come from
 * the process environment alone, so a deployment can give the file with the keys only to the
 * service that imports and the master key to the others as AI_ENCRYPTION_KEY.
 */
import { existsSync } from 'node:fs';
import { withoutKeySecrets } from './key-secrets.js';
import { loadConfig, processEnv, resolveEnvFile, type LoadConfigOptions } from './load-config.js';
import { parseConfig } from './parse-config.js';
import { ENCRYPTION_KEY_SETTING } from './settings-schema.js';
import type { AikeysConfig } from './types.js';

/** What `config.file` says for a config read from the process environment only. */
export const ENVIRONMENT_ONLY = '(process environment; no env file)';

export function loadRuntimeConfig(options: LoadConfigOptions = {}): AikeysConfig {
  const env = options.env ?? processEnv();
  const file = resolveEnvFile({ ...options, env });
  // Only when the master key is in the environment: a missing file is otherwise the mistake
  // loadConfig reports (with its hint), not a silent run on defaults.
  if (!existsSync(file) && (env[ENCRYPTION_KEY_SETTING] ?? '').trim() !== '') {
    return withoutKeySecrets(parseConfig('', ENVIRONMENT_ONLY, env));
  }
  return withoutKeySecrets(loadConfig({ ...options, env }));
}
