import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * The advisory lock id: the first 8 bytes of SHA-256('aikeys:import') as a signed bigint, so it is
 * fixed across versions and unlikely to collide with another application's lock on the same server.
 */
export const IMPORT_LOCK_ID: string = createHash('sha256')
  .update('aikeys:import')
  .digest()
  .readBigInt64BE(0)
  .toString();

/**
 * Serialises everything that writes key material (import, master-key rotation) across replicas.
 * Transaction-scoped: released by commit or rollback, so a crashed process cannot leave it held.
 */
export async function acquireImportLock(trx: Knex.Transaction): Promise<void> {
  await trx.raw('SELECT pg_advisory_xact_lock(?::bigint)', [IMPORT_LOCK_ID]);
}
