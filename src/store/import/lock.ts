import type { Knex } from 'knex';
import { advisoryLockId } from '../advisory-lock.js';

/** The import's advisory lock id (advisory-lock.ts). */
export const IMPORT_LOCK_ID: string = advisoryLockId('aikeys:import');

/**
 * Serialises everything that writes key material (import, master-key rotation) across replicas.
 * Transaction-scoped: released by commit or rollback, so a crashed process cannot leave it held.
 */
export async function acquireImportLock(trx: Knex.Transaction): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(?::bigint)', [IMPORT_LOCK_ID]);
}
