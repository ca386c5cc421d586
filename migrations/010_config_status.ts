import type { Knex } from 'knex';

/**
 * `ai_config_status`: one row (id 1) saying what the last import of the env file did, the last
 * error a broken file gave, the settings that differ from what the importing process runs but
 * apply only after a restart, and the reloadable settings the import publishes to every replica
 * (non-secret values only: a replica without the env file takes them from here). `/api/health`
 * and `aikeys health` read it as `config`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ai_config_status', (t) => {
    t.smallint('id').primary();
    t.text('file').notNullable();
    t.timestamp('last_import_at', { useTz: true }).nullable();
    t.jsonb('last_import').nullable();
    t.jsonb('last_error').nullable();
    t.jsonb('restart_needed').notNullable().defaultTo('[]');
    t.jsonb('settings').nullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw('ALTER TABLE ai_config_status ADD CONSTRAINT ai_config_status_one_row CHECK (id = 1)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ai_config_status');
}
