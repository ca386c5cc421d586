/**
 * System health, from Postgres: how many keys can serve, and whether encryption is set
 * up. Keys removed from the config count as disabled (they are rows, with history).
 */
import type { AikeysConfig } from '../config/types.js';
import { decodeMasterKey } from '../crypto/key-ring.js';
import { readConfigStatus, type ConfigStatus } from './config-status.js';
import type { Db } from './database.js';
import { effectiveKeyStatus } from './key-status-sql.js';
import { countKeysByMasterKey, type ConfiguredMasterKeys, type MasterKeyUsage } from './master-key-usage.js';
import { countUsageRejects } from './usage-rejects.js';

export interface SystemHealth {
  readonly totalKeys: number;
  readonly activeKeys: number;
  readonly disabledKeys: number;
  /** Blocked until a time still to come (a block whose time has passed counts as active: key-status-sql.ts). */
  readonly blockedKeys: number;
  readonly exhaustedKeys: number;
  readonly accounts: number;
  /** At least one key is active. */
  readonly healthy: boolean;
  /** A master key is configured and is base64 of 32 bytes. False when no config was given. */
  readonly encryptionEnabled: boolean;
  /**
   * Keys whose envelope names a master key other than the configured one: these cannot be opened
   * until `aikeys rotate-encryption-key` re-seals them. Null when no config was given.
   */
  readonly keysSealedByOtherMasterKey: number | null;
  /** Keys per master key (by fingerprint, never the key): an old key can go once it seals 0. */
  readonly keysByMasterKey: readonly MasterKeyUsage[];
  /** Usage records set aside in ai_usage_rejects (Postgres refused them, or they could not be decoded). */
  readonly usageRejects: number;
  /** The last import of the env file, its last error, settings awaiting a restart; null: none recorded. */
  readonly config: ConfigStatus | null;
}

interface CountsRow {
  total_keys: number;
  active_keys: number;
  disabled_keys: number;
  blocked_keys: number;
  exhausted_keys: number;
}

function configuredMasterKeys(config: AikeysConfig | undefined): ConfiguredMasterKeys | undefined {
  if (!config) return undefined;
  try {
    const { encryptionKey, previousEncryptionKeys } = config.system;
    return {
      current: decodeMasterKey(encryptionKey).id,
      previous: previousEncryptionKeys.map((k) => decodeMasterKey(k).id),
    };
  } catch {
    return undefined;
  }
}

export async function getSystemHealth(db: Db, config?: AikeysConfig): Promise<SystemHealth> {
  const status = effectiveKeyStatus('ai_api_keys');
  const counts = await db('ai_api_keys').first<CountsRow>(
    db.raw('COUNT(*)::bigint AS total_keys'),
    db.raw(`COUNT(*) FILTER (WHERE ${status} = 'active')::bigint AS active_keys`),
    db.raw(`COUNT(*) FILTER (WHERE ${status} = 'disabled')::bigint AS disabled_keys`),
    db.raw(`COUNT(*) FILTER (WHERE ${status} = 'temporarily_blocked')::bigint AS blocked_keys`),
    db.raw(`COUNT(*) FILTER (WHERE ${status} = 'exhausted')::bigint AS exhausted_keys`),
  );
  const accounts = await db('ai_accounts').first<{ n: number }>(db.raw('COUNT(*)::bigint AS n'));
  const configured = configuredMasterKeys(config);
  const masterKeyId = configured?.current;
  let keysSealedByOtherMasterKey: number | null = null;
  if (masterKeyId !== undefined) {
    // Only the envelope's public header field (the master key's fingerprint) is read, never the ciphertext.
    const other = await db('ai_api_keys')
      .whereRaw(`split_part(api_key_encrypted, ':', 4) <> ?`, [masterKeyId])
      .first<{ n: number }>(db.raw('COUNT(*)::bigint AS n'));
    keysSealedByOtherMasterKey = other.n;
  }
  return {
    totalKeys: counts.total_keys,
    activeKeys: counts.active_keys,
    disabledKeys: counts.disabled_keys,
    blockedKeys: counts.blocked_keys,
    exhaustedKeys: counts.exhausted_keys,
    accounts: accounts.n,
    healthy: counts.active_keys > 0,
    encryptionEnabled: masterKeyId !== undefined,
    keysSealedByOtherMasterKey,
    keysByMasterKey: await countKeysByMasterKey(db, configured),
    usageRejects: await countUsageRejects(db),
    config: await readConfigStatus(db),
  };
}
