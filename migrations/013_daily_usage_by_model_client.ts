import type { Knex } from 'knex';

/**
 * A closed day's usage per key, model and client, kept forever next to the per-key rollup.
 *
 * - `ai_key_daily_usage_detail`: one row per key, model and client (the front door's application)
 *   and closed day, written by the daily reset from the same log rows as `ai_key_daily_usage`, in
 *   the same transaction. That table answers per key and account; questions by model or
 *   application ("what did X spend on model Y last quarter") need this split. Without it they are
 *   answered from `ai_request_logs`, a scan of every call of the period, and not at all once
 *   AI_LOG_RETENTION_DAYS has pruned the calls. The client is '' for calls of no client (jobs
 *   enqueued on the queue directly), since a primary key column cannot be NULL; readers turn it
 *   back into NULL.
 * - `ai_maintenance_periods.detailed`: whether a closed day has its detail rollup. Days closed
 *   before this migration have none (the zone their day was cut in is a setting the migration cannot
 *   read), so their model and client figures keep coming from whatever log rows are left of them.
 * - `ai_maintenance_periods.time_zone`: the AI_TIMEZONE a day was closed in, so a usage record of
 *   that day reaching Postgres after the close can be added to its rollups by the writer, which
 *   knows no zone. NULL for days closed before this migration.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ai_key_daily_usage_detail', (t) => {
    t.date('day').notNullable();
    t.integer('key_id').notNullable();
    t.string('model', 255).notNullable();
    t.string('client', 64).notNullable().defaultTo('');
    t.integer('requests').notNullable().defaultTo(0);
    t.bigInteger('tokens').notNullable().defaultTo(0);
    t.decimal('cost', 20, 8).notNullable().defaultTo(0);
    t.integer('failures').notNullable().defaultTo(0);
    t.primary(['day', 'key_id', 'model', 'client']);
  });
  await knex.schema.alterTable('ai_maintenance_periods', (t) => {
    t.boolean('detailed').notNullable().defaultTo(false);
    t.string('time_zone', 64).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ai_maintenance_periods', (t) => {
    t.dropColumn('time_zone');
    t.dropColumn('detailed');
  });
  await knex.schema.dropTable('ai_key_daily_usage_detail');
}
