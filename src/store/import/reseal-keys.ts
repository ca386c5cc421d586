/**
 * Master-key rotation: re-seal every stored key with the ring's primary master key. It lives next
 * to the import because it is the import's other writer of key material and shares its lock.
 *
 * All or nothing, in one transaction: a key that no configured master key can open aborts the
 * whole rotation, so the database never ends up sealed half by one key and half by another that
 * the operator no longer has.
 */
import type { Knex } from 'knex';
import { AikeysError } from '../../core/errors.js';
import { open, readEnvelopeHeader, seal } from '../../crypto/envelope.js';
import type { KeyRing } from '../../crypto/key-ring.js';
import type { Db } from '../database.js';
import { retryOnDeadlock } from '../deadlock-retry.js';
import { lockKeyRowsInOrder } from '../key-state.js';
import { loadEncryptedKey } from '../keys.js';
import { acquireImportLock } from './lock.js';

export interface ResealReport {
  /** Keys that were sealed by another master key and now are sealed by the primary. */
  readonly resealed: number;
  /** Keys already sealed by the primary: untouched. */
  readonly alreadyCurrent: number;
  /** The primary master key's public id, now in every envelope. */
  readonly masterKeyId: string;
}

export async function resealKeys(db: Db, ring: KeyRing): Promise<ResealReport> {
  // A rolled-back reseal changed nothing, so one aborted by a deadlock simply runs again.
  return retryOnDeadlock(() => db.transaction((trx) => resealInTransaction(trx, ring)));
}

async function resealInTransaction(trx: Knex.Transaction, ring: KeyRing): Promise<ResealReport> {
  await acquireImportLock(trx);
  const ids = await lockKeyRowsInOrder(trx);
  const unknown = new Map<string, string[]>();
  const pending: { keyId: number; envelope: string }[] = [];
  let alreadyCurrent = 0;
  for (const keyId of ids) {
    const envelope = await loadEncryptedKey(trx, keyId);
    if (envelope === undefined) continue;
    const { keyId: sealedBy } = readEnvelopeHeader(envelope);
    if (sealedBy === ring.primary.id) alreadyCurrent += 1;
    else if (ring.find(sealedBy)) pending.push({ keyId, envelope });
    else unknown.set(sealedBy, [...(unknown.get(sealedBy) ?? []), String(keyId)]);
  }
  if (unknown.size > 0) {
    const which = [...unknown].map(([id, keys]) => `${id} (${keys.length} keys)`).join(', ');
    throw new AikeysError(
      'MASTER_KEY_UNKNOWN',
      `Nothing was changed: some keys are sealed by master keys that were not given: ${which}; ` +
        'pass the key they were sealed with as the old key',
      { context: { masterKeyIds: [...unknown.keys()] } },
    );
  }
  for (const { keyId, envelope } of pending) {
    // Opened and re-sealed one at a time: each plaintext lives only for this iteration.
    const resealed = seal(open(envelope, ring), ring.primary);
    await trx('ai_api_keys')
      .where('key_id', keyId)
      .update({ api_key_encrypted: resealed, updated_at: trx.fn.now() });
  }
  return { resealed: pending.length, alreadyCurrent, masterKeyId: ring.primary.id };
}
