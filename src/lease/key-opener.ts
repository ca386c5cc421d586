/**
 * The decrypt step of a lease: the envelopes of this process's keys, cached (plaintext never is),
 * opened at the moment a lease hands a key to a call. The envelope must be bound to the key, the
 * provider and the account the lease is for (the ones the call will use), and the plaintext must
 * hash to the row's api_key_hash (src/crypto/stored-key.ts); otherwise the caller gets a
 * CryptoError and disables the key (undecryptable.ts).
 */
import { CryptoError } from '../core/errors.js';
import type { Secret } from '../core/secret.js';
import type { KeyRing } from '../crypto/key-ring.js';
import { openStoredKey } from '../crypto/stored-key.js';
import type { Db } from '../store/database.js';
import { loadSealedKey, loadSealedKeys, type SealedKeyRow } from '../store/keys.js';

/** What a lease says the key will be used for. */
export interface LeaseTarget {
  readonly keyId: number;
  readonly accountId: number;
  readonly provider: string;
}

export interface KeyOpener {
  open(target: LeaseTarget): Promise<{ secret: Secret; keyName: string }>;
  forget(keyId: number): void;
  /** Drops the cache and loads every leasable key's envelope (after a hydration). */
  reload(): Promise<void>;
  clear(): void;
}

export function createKeyOpener(db: Db, ring: KeyRing): KeyOpener {
  const envelopes = new Map<number, SealedKeyRow>();

  async function load(keyId: number): Promise<SealedKeyRow> {
    const cached = envelopes.get(keyId);
    if (cached) return cached;
    const row = await loadSealedKey(db, keyId);
    if (row === undefined) throw new CryptoError('KEY_ROW_MISSING', `Key ${keyId} has no row in ai_api_keys`);
    envelopes.set(keyId, row);
    return row;
  }

  function openFor(row: SealedKeyRow, target: LeaseTarget): Secret {
    return openStoredKey({ ...row, ...target }, ring);
  }

  return {
    async open(target) {
      const entry = await load(target.keyId);
      try {
        return { secret: openFor(entry, target), keyName: entry.keyName };
      } catch (error) {
        // The envelope may have been re-sealed (rotation, an import that moved the key) since it was cached.
        envelopes.delete(target.keyId);
        const fresh = await load(target.keyId);
        if (fresh.envelope === entry.envelope && fresh.hash === entry.hash) throw error;
        return { secret: openFor(fresh, target), keyName: fresh.keyName };
      }
    },
    forget: (keyId) => void envelopes.delete(keyId),
    async reload() {
      envelopes.clear();
      // Cached up front so a Postgres outage does not stop keys that were never used yet.
      for (const row of await loadSealedKeys(db)) envelopes.set(row.keyId, row);
    },
    clear: () => envelopes.clear(),
  };
}
