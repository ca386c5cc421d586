import type { Knex } from 'knex';

/**
 * A partial index on the failed calls of `ai_request_logs` (no 2xx answer), newest first, for the
 * failures list (`GET /api/failures`, a key's recent failures). Failures are a small share of the
 * rows; without it "the newest 50 failures" walks the created_at index backwards through every
 * success in between, which at millions of rows and a quiet error rate is most of the table. Its
 * predicate is written as the query writes it (src/store/failures.ts), so the planner matches them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE INDEX ai_request_logs_failures
      ON ai_request_logs (created_at DESC, log_id DESC)
      WHERE response_status NOT BETWEEN 200 AND 299
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX ai_request_logs_failures');
}
