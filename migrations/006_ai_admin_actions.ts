import type { Knex } from 'knex';

/**
 * `ai_admin_actions`: one row per operator action (block, unblock, disable, enable, reset-daily,
 * import, rotate), from the admin API or the CLI, so "who disabled key_3, and why?" has an answer.
 * `actor` says where it came from ("api:..." or "cli:<OS user>"); `details` holds what the action
 * took and returned (block seconds, import counts), never a secret.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ai_admin_actions', (t) => {
    t.bigIncrements('id').primary();
    t.string('actor', 200).notNullable();
    t.string('action', 40).notNullable();
    t.string('key_name', 40).nullable();
    t.text('reason').nullable();
    t.jsonb('details').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // The list route reads the newest first.
  await knex.raw('CREATE INDEX ai_admin_actions_created_at ON ai_admin_actions (created_at DESC, id DESC)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ai_admin_actions');
}
