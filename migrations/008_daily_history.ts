import type { Knex } from 'knex';

/**
 * History that outlives the raw usage log.
 *
 * - `ai_key_daily_usage`: one row per key and closed day (a calendar day in AI_TIMEZONE), written by
 *   the daily reset before it zeroes the counters. Kept forever: it is what monthly budgets and
 *   reports read once `ai_request_logs` rows are pruned (AI_LOG_RETENTION_DAYS). No foreign key on
 *   key_id, like `ai_request_logs` (migration 004): history must not stop a key row's removal.
 * - `ai_maintenance_periods`: which period each maintenance task has closed. The reset claims its
 *   day here (the primary key makes the claim exclusive), so a second run for the same day, from the
 *   same replica or another, changes nothing.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ai_key_daily_usage', (t) => {
    t.integer('key_id').notNullable();
    t.date('day').notNullable();
    t.integer('requests').notNullable().defaultTo(0);
    t.bigInteger('tokens').notNullable().defaultTo(0);
    t.decimal('cost', 20, 8).notNullable().defaultTo(0);
    t.integer('failures').notNullable().defaultTo(0);
    t.primary(['key_id', 'day']);
    t.index(['day']);
  });
  await knex.schema.createTable('ai_maintenance_periods', (t) => {
    t.string('task', 64).notNullable();
    t.date('period').notNullable();
    t.timestamp('closed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['task', 'period']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ai_maintenance_periods');
  await knex.schema.dropTable('ai_key_daily_usage');
}
