/**
 * Key secrets live in a process only while it imports. Workers and the admin server need the
 * master key and the encrypted rows, never the plaintext `KEY_N` values, so the config they keep is
 * stripped of them right after parsing: what stays per key is its SHA-256 (the import's identity
 * of a key, and a way to see the file changed). A process that re-imports reads the file again
 * (ConfigManager.readForImport) and lets the secrets go when the import is done.
 */
import { deepFreeze } from './deep-freeze.js';
import type { AikeysConfig, KeyConfig } from './types.js';

export function withoutKeySecrets(config: AikeysConfig): AikeysConfig {
  // Rebuilt field by field rather than spread-and-delete: a new key field is then opted in, so a
  // secret-bearing field cannot slip through unnoticed.
  const keys = config.keys.map((k): KeyConfig => ({
    number: k.number,
    name: k.name,
    hash: k.hash,
    model: k.model,
    provider: k.provider,
    dailyLimit: k.dailyLimit,
    maxConcurrency: k.maxConcurrency,
    accountRef: k.accountRef,
    line: k.line,
  }));
  return deepFreeze({ ...config, keys });
}
