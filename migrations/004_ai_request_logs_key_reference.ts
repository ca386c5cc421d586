import type { Knex } from 'knex';

/**
 * ai_request_logs.key_id no longer has a foreign key to ai_api_keys.
 *
 * Every log insert's foreign-key check share-locked its key row, and those rows are the hottest in
 * the database: each replica rewrites their counters every second. The shared locks turned the
 * row locks of concurrent counter writes into multixacts, on which Postgres aborted writers with
 * "deadlock detected" (6 to 23 times in one run of test/integration/key-state-locking.test.ts,
 * none without the key). It guarded nothing real: keys are never deleted, a key removed from the
 * config is disabled and keeps its history (src/store/import/keys-sync.ts). The column and its index stay; the
 * account reference, on rows that only the import writes, keeps its foreign key.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ai_request_logs', (t) => {
    t.dropForeign(['key_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ai_request_logs', (t) => {
    t.foreign('key_id').references('key_id').inTable('ai_api_keys').onDelete('RESTRICT');
  });
}
