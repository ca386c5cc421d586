import type { Knex } from 'knex';

/**
 * Usage accounting that survives Redis losing its data and records Postgres refuses.
 *
 * - `call_id`: a random UUID per provider call, the usage row's identity (writes dedupe on it).
 *   (job_id, job_run, attempt) was the identity, but BullMQ's job ids start again at 1 after Redis
 *   loses its data, and ON CONFLICT DO NOTHING then silently dropped new calls' usage. Rows written
 *   before this migration keep NULL (a unique index allows any number of NULLs). The old unique
 *   index becomes a plain one: looking a job's calls up stays cheap.
 * - `usage_estimated`: the provider's reply had no usable usage and the tokens were counted locally.
 * - `ai_usage_rejects`: usage records Postgres refused (or that could not be decoded), kept with
 *   the reason instead of being retried forever; `stream_id` is unique so a record set aside twice
 *   (a flusher stopped between the insert and the acknowledgement) is kept once.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('ai_request_logs', (t) => {
    t.uuid('call_id').nullable();
    t.boolean('usage_estimated').notNullable().defaultTo(false);
  });
  await knex.raw('CREATE UNIQUE INDEX ai_request_logs_call_id_unique ON ai_request_logs (call_id)');
  await knex.raw('DROP INDEX ai_request_logs_job_call_unique');
  await knex.raw('CREATE INDEX ai_request_logs_job_call ON ai_request_logs (job_id, job_run, attempt)');
  await knex.schema.createTable('ai_usage_rejects', (t) => {
    t.bigIncrements('id').primary();
    // The stream entry's text exactly as it was: what a person needs to mend and replay it.
    t.text('raw_record').notNullable();
    t.text('error_message').notNullable();
    // Postgres's SQLSTATE; NULL when the entry could not even be decoded.
    t.string('sqlstate', 5).nullable();
    t.string('stream_id', 64).notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  const duplicates = await knex.raw<{ rows: { n: string }[] }>(`
    SELECT COUNT(*) AS n FROM (
      SELECT 1 FROM ai_request_logs WHERE job_id IS NOT NULL
      GROUP BY job_id, job_run, attempt HAVING COUNT(*) > 1
    ) d`);
  const n = Number(duplicates.rows[0]?.n ?? 0);
  if (n > 0) {
    throw new Error(
      `cannot roll back 005_usage_accounting: ${n} (job_id, job_run, attempt) triples have more than ` +
        'one ai_request_logs row (job ids reused after Redis lost its data), so the unique index it ' +
        'replaced cannot come back. Keep this migration, or give those rows distinct job ids first.',
    );
  }
  await knex.schema.dropTable('ai_usage_rejects');
  await knex.raw('DROP INDEX ai_request_logs_job_call');
  await knex.raw(`
    CREATE UNIQUE INDEX ai_request_logs_job_call_unique
      ON ai_request_logs (job_id, job_run, attempt) WHERE job_id IS NOT NULL
  `);
  await knex.raw('DROP INDEX ai_request_logs_call_id_unique');
  await knex.schema.alterTable('ai_request_logs', (t) => {
    t.dropColumn('usage_estimated');
    t.dropColumn('call_id');
  });
}
