import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ai_accounts', (t) => {
    t.increments('account_id').primary();
    t.string('account_name', 255).notNullable();
    t.string('provider_name', 100).notNullable();
    t.integer('priority').notNullable();
    t.string('status', 20).notNullable().defaultTo('active');
    t.bigInteger('daily_quota').nullable();
    t.decimal('monthly_budget', 14, 4).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // The import finds an account by provider and priority.
    t.unique(['provider_name', 'priority']);
  });
  await knex.raw(`
    ALTER TABLE ai_accounts
      ADD CONSTRAINT ai_accounts_status_check CHECK (status IN ('active', 'suspended', 'disabled')),
      ADD CONSTRAINT ai_accounts_priority_check CHECK (priority >= 1),
      ADD CONSTRAINT ai_accounts_daily_quota_check CHECK (daily_quota IS NULL OR daily_quota >= 0),
      ADD CONSTRAINT ai_accounts_monthly_budget_check CHECK (monthly_budget IS NULL OR monthly_budget >= 0)
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ai_accounts');
}
