/**
 * How many stored keys each master key still seals, read from the envelopes' public header fields
 * (version and master key fingerprint: `split_part`), never their ciphertext. After a rotation the
 * old key can be dropped from AI_ENCRYPTION_KEY_PREVIOUS once it seals 0 keys; v1 envelopes (not
 * bound to their rows) are counted so an operator sees what `aikeys rotate-encryption-key` would re-seal.
 */
import type { Db } from './database.js';

export type MasterKeyRole = 'current' | 'previous' | 'not configured';

export interface MasterKeyUsage {
  /** The master key's public fingerprint (src/crypto/key-ring.ts), as written in its envelopes. */
  readonly masterKeyId: string;
  /** Null when no config was given, so nothing is known about which keys the process has. */
  readonly role: MasterKeyRole | null;
  readonly keys: number;
  /** Of those, envelopes still in the v1 format (no row binding). */
  readonly v1Keys: number;
}

export interface ConfiguredMasterKeys {
  readonly current: string;
  readonly previous: readonly string[];
}

export async function countKeysByMasterKey(
  db: Db,
  configured: ConfiguredMasterKeys | undefined,
): Promise<MasterKeyUsage[]> {
  const rows = await db('ai_api_keys')
    .select<{ master_key_id: string; keys: number; v1_keys: number }[]>(
      db.raw(`split_part(api_key_encrypted, ':', 4) AS master_key_id`),
      db.raw('COUNT(*)::int AS keys'),
      db.raw(`COUNT(*) FILTER (WHERE split_part(api_key_encrypted, ':', 2) = 'v1')::int AS v1_keys`),
    )
    .groupByRaw('1')
    .orderByRaw('1');
  const roleOf = (id: string): MasterKeyRole | null => {
    if (configured === undefined) return null;
    if (id === configured.current) return 'current';
    return configured.previous.includes(id) ? 'previous' : 'not configured';
  };
  const usage = rows.map((r) => ({
    masterKeyId: r.master_key_id,
    role: roleOf(r.master_key_id),
    keys: r.keys,
    v1Keys: r.v1_keys,
  }));
  // A configured key that seals nothing is listed too: that 0 is what says it can be dropped.
  for (const id of configured ? [configured.current, ...configured.previous] : []) {
    if (!usage.some((u) => u.masterKeyId === id))
      usage.push({ masterKeyId: id, role: roleOf(id), keys: 0, v1Keys: 0 });
  }
  return usage;
}
