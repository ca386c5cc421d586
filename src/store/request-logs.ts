import type { Db } from './database.js';
import { retryOnDeadlock } from './deadlock-retry.js';
import type { UsageRecord } from '../usage/usage-record.js';

/**
 * Writes a batch of usage records as `ai_request_logs` rows in one statement. A record already
 * written (same job id, run and attempt) is skipped, so replaying a batch after a failure never
 * double counts. Key counters (used_today, last_used_at) are not touched here: the lease engine
 * owns them and writes their absolute values (src/store/key-state.ts).
 * Returns how many rows were new.
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
  const inserted = await retryOnDeadlock(() =>
    db('ai_request_logs')
      .insert(rows)
      .onConflict(db.raw('(job_id, job_run, attempt) WHERE job_id IS NOT NULL'))
      .ignore()
      .returning('log_id'),
  );
  return inserted.length;
}
