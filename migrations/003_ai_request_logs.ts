import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ai_request_logs', (t) => {
    t.bigIncrements('log_id').primary();
    t.integer('key_id').notNullable().references('key_id').inTable('ai_api_keys').onDelete('RESTRICT');
    t.integer('account_id')
      .notNullable()
      .references('account_id')
      .inTable('ai_accounts')
      .onDelete('RESTRICT');
    t.string('provider', 100).notNullable();
    t.string('model', 255).notNullable();
    t.integer('prompt_tokens').notNullable().defaultTo(0);
    t.integer('completion_tokens').notNullable().defaultTo(0);
    t.integer('tokens_used').notNullable().defaultTo(0);
    t.decimal('estimated_cost', 16, 8).notNullable().defaultTo(0);
    // HTTP status, or 0 where no response came (timeout, connection error).
    t.integer('response_status').notNullable();
    t.text('error_message').nullable();
    t.string('job_id', 255).nullable();
    // Which run of the job (BullMQ attemptsStarted) and which provider call within that run.
    t.integer('job_run').notNullable().defaultTo(0);
    t.integer('attempt').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['key_id', 'created_at']);
    t.index(['account_id', 'created_at']);
    t.index(['created_at']);
  });
  // A retried usage write never counts twice.
  await knex.raw(`
    CREATE UNIQUE INDEX ai_request_logs_job_call_unique
      ON ai_request_logs (job_id, job_run, attempt) WHERE job_id IS NOT NULL
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ai_request_logs');
}
