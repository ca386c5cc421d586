/**
 * Marks a transaction's writes as the pool's own: the edit triggers (migrations/011) skip them, so
 * state the pool takes from Redis to Postgres is not sent back to Redis as an operator edit. Only
 * for writes of values Redis already holds; an import or an operator's UPDATE is not marked.
 */
import type { Knex } from 'knex';
import type { Db } from './database.js';

export const POOL_ORIGIN_SETTING = 'aikeys.origin';

/** `SET LOCAL aikeys.origin = 'pool'` (set_config with is_local: ends with the transaction). */
export async function markPoolOrigin(trx: Knex.Transaction): Promise<void> {
  await trx.raw(`SELECT set_config('${POOL_ORIGIN_SETTING}', 'pool', true)`);
}

/** Runs `write` in a transaction marked as the pool's own. */
export function asPoolWrite<T>(db: Db, write: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await markPoolOrigin(trx);
    return write(trx);
  });
}
