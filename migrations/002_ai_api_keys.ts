import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ai_api_keys', (t) => {
    t.increments('key_id').primary();
    t.integer('account_id')
      .notNullable()
      .references('account_id')
      .inTable('ai_accounts')
      .onDelete('RESTRICT');
    t.string('api_key_hash', 64).notNullable().unique();
    // A versioned envelope (see src/crypto/envelope.ts), not raw ciphertext.
    t.text('api_key_encrypted').notNullable();
    t.string('key_name', 100).notNullable();
    t.integer('key_number').notNullable();
    t.string('model_name', 255).notNullable();
    t.bigInteger('daily_limit').notNullable();
    t.bigInteger('used_today').notNullable().defaultTo(0);
    t.integer('max_concurrency').nullable();
    t.string('status', 30).notNullable().defaultTo('active');
    t.timestamp('last_used_at', { useTz: true }).nullable();
    t.integer('consecutive_failures').notNullable().defaultTo(0);
    t.timestamp('temporary_block_until', { useTz: true }).nullable();
    t.string('disabled_reason', 255).nullable();
    // Why a key is disabled decides whether it may come back by itself: only 'breaker' keys get a probe.
    t.string('disabled_kind', 30).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['account_id']);
    t.index(['key_name']);
  });
  await knex.raw(`
    ALTER TABLE ai_api_keys
      ADD CONSTRAINT ai_api_keys_status_check
        CHECK (status IN ('active', 'temporarily_blocked', 'exhausted', 'disabled')),
      ADD CONSTRAINT ai_api_keys_disabled_kind_check
        CHECK (disabled_kind IS NULL OR disabled_kind IN ('manual', 'breaker', 'invalid_key', 'removed')),
      ADD CONSTRAINT ai_api_keys_hash_check CHECK (api_key_hash ~ '^[0-9a-f]{64}$'),
      ADD CONSTRAINT ai_api_keys_counts_check
        CHECK (daily_limit >= 0 AND used_today >= 0 AND consecutive_failures >= 0
               AND (max_concurrency IS NULL OR max_concurrency >= 1))
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ai_api_keys');
}
