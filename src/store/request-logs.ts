import type { Db } from './database.js';
import type { UsageRecord } from '../usage/usage-record.js';

/**
 * Writes a batch of usage records in ONE statement: the log rows, and the keys' used_today and
 * last_used_at for the rows that were new. A record already written (same job id, run and attempt)
 * is skipped and adds nothing, so replaying a batch after a failure never double counts.
 * Tokens from before the last daily reset (an earlier UTC day) are logged but not added to used_today.
 */
export async function writeUsageBatch(db: Db, records: readonly UsageRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  const rows = records.map((r) => ({
    key_id: r.keyId,
    account_id: r.accountId,
    provider: r.provider,
    model: r.model,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    tokens_used: r.totalTokens,
    estimated_cost: r.costUsd,
    response_status: r.status,
    error_message: r.error,
    job_id: r.jobId,
    job_run: r.jobRun,
    attempt: r.attempt,
    created_at: new Date(r.at),
  }));
  const insert = db('ai_request_logs')
    .insert(rows)
    .onConflict(db.raw('(job_id, job_run, attempt) WHERE job_id IS NOT NULL'))
    .ignore()
    .returning(['key_id', 'tokens_used', 'response_status', 'created_at']);
  const result = await db.raw(
    `WITH inserted AS (${insert.toQuery()}),
          per_key AS (
            SELECT key_id,
                   SUM(tokens_used) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date = (now() AT TIME ZONE 'UTC')::date) AS tokens,
                   MAX(created_at) FILTER (WHERE response_status BETWEEN 200 AND 299) AS last_success,
                   COUNT(*) AS n
              FROM inserted GROUP BY key_id
          ),
          updated AS (
            UPDATE ai_api_keys k
               SET used_today = k.used_today + COALESCE(p.tokens, 0),
                   last_used_at = GREATEST(k.last_used_at, p.last_success),
                   updated_at = now()
              FROM per_key p
             WHERE k.key_id = p.key_id
            RETURNING k.key_id
          )
     SELECT COALESCE(SUM(n), 0)::int AS inserted FROM per_key`,
  );
  return (result.rows[0] as { inserted: number }).inserted;
}
