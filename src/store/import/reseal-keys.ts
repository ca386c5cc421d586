/**
 * Master-key rotation: re-seal every stored key with the ring's primary master key. It lives next
 * to the import because it is the import's other writer of key material and shares its lock.
 *
 * All or nothing, in one transaction: a key that no configured master key can open aborts the
 * whole rotation, so the database never ends up sealed half by one key and half by another that
 * the operator no longer has. Workers keep serving meanwhile: row locks taken here (FOR NO KEY
 * UPDATE) do not block their reads, they hold the old envelopes in memory, and a worker whose
 * ring has both keys (AI_ENCRYPTION_KEY_PREVIOUS) opens old and new envelopes alike.
 */
import type { Knex } from 'knex';
import { AikeysError, CryptoError } from '../../core/errors.js';
import type { Secret } from '../../core/secret.js';
import { ENVELOPE_VERSION, readEnvelopeHeader, seal } from '../../crypto/envelope.js';
import type { KeyRing } from '../../crypto/key-ring.js';
import { openStoredKey } from '../../crypto/stored-key.js';
import type { Db } from '../database.js';
import { retryOnDeadlock } from '../deadlock-retry.js';
import { lockKeyRowsInOrder } from '../key-state-writes.js';
import { loadSealedKey, type SealedKeyRow } from '../keys.js';
import { acquireImportLock } from './lock.js';

export interface ResealReport {
  /** Keys that were sealed by another master key, or as v1, and now are sealed by the primary as v2. */
  readonly resealed: number;
  /** Keys already sealed by the primary as v2: untouched. */
  readonly alreadyCurrent: number;
  /** The primary master key's public id, now in every envelope. */
  readonly masterKeyId: string;
}

export async function resealKeys(db: Db, ring: KeyRing): Promise<ResealReport> {
  // A rolled-back reseal changed nothing, so one aborted by a deadlock simply runs again.
  return retryOnDeadlock(() => db.transaction((trx) => resealInTransaction(trx, ring)));
}

/** Opened here so a failure names the key (never the secret) and aborts the whole rotation. */
function openForReseal(stored: SealedKeyRow, ring: KeyRing): Secret {
  try {
    return openStoredKey(stored, ring);
  } catch (error) {
    if (!(error instanceof CryptoError)) throw error;
    throw new AikeysError(
      'RESEAL_KEY_UNREADABLE',
      `Nothing was changed: ${stored.keyName} (key ${stored.keyId}) cannot be opened: ${error.message}`,
      { cause: error, context: { keyId: stored.keyId } },
    );
  }
}

async function resealInTransaction(trx: Knex.Transaction, ring: KeyRing): Promise<ResealReport> {
  await acquireImportLock(trx);
  const ids = await lockKeyRowsInOrder(trx);
  const unknown = new Map<string, string[]>();
  const pending: SealedKeyRow[] = [];
  let alreadyCurrent = 0;
  for (const keyId of ids) {
    const stored = await loadSealedKey(trx, keyId);
    if (stored === undefined) continue;
    const { keyId: sealedBy, version } = readEnvelopeHeader(stored.envelope);
    if (sealedBy === ring.primary.id && version === ENVELOPE_VERSION) alreadyCurrent += 1;
    else if (ring.find(sealedBy)) pending.push(stored);
    else unknown.set(sealedBy, [...(unknown.get(sealedBy) ?? []), String(keyId)]);
  }
  if (unknown.size > 0) {
    const which = [...unknown].map(([id, keys]) => `${id} (${keys.length} keys)`).join(', ');
    throw new AikeysError(
      'MASTER_KEY_UNKNOWN',
      `Nothing was changed: some keys are sealed by master keys that were not given: ${which}; ` +
        'pass the key they were sealed with as the old key (--old - or AI_ENCRYPTION_KEY_PREVIOUS)',
      { context: { masterKeyIds: [...unknown.keys()] } },
    );
  }
  for (const stored of pending) {
    // Opened and re-sealed one at a time: each plaintext lives only for this iteration. Bound to
    // the row as it is, which the hash check has just vouched for.
    const resealed = seal(openForReseal(stored, ring), ring.primary, stored);
    await trx('ai_api_keys')
      .where('key_id', stored.keyId)
      .update({ api_key_encrypted: resealed, updated_at: trx.fn.now() });
  }
  return { resealed: pending.length, alreadyCurrent, masterKeyId: ring.primary.id };
}
