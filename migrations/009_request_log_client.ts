import type { Knex } from 'knex';

/**
 * `ai_request_logs.client`: the application a call was made for (the front door's client name, from
 * AIKEYS_GATEWAY_TOKENS), so usage can be split per application. NULL for calls of jobs enqueued
 * directly on the queue and for rows written before this migration. Indexed with created_at since
 * the question asked of it is "what did this application spend over this period".
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ai_request_logs', (t) => {
    t.string('client', 64).nullable();
  });
  await knex.raw('CREATE INDEX ai_request_logs_client_created ON ai_request_logs (client, created_at)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX ai_request_logs_client_created');
  await knex.schema.alterTable('ai_request_logs', (t) => {
    t.dropColumn('client');
  });
}
