import type { Db } from './database.js';
import { retryOnDeadlock } from './deadlock-retry.js';

/**
 * One provider call's usage: what becomes one `ai_request_logs` row. Declared with the table that
 * stores it; src/usage carries it from the worker to here through a Redis stream.
 */
export interface UsageRecord {
  /** Random UUID of this provider call (minted before the call is made). */
  callId: string;
  keyId: number;
  accountId: number;
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** The provider reported no usable usage; the tokens were counted locally. */
  usageEstimated: boolean;
  costUsd: number;
  /** HTTP status, 0 when no response came. */
  status: number;
  error: string | null;
  /** BullMQ job id; `direct:<uuid>` for usage reported outside a job. */
  jobId: string;
  /** Which run of the job (BullMQ attemptsStarted). */
  jobRun: number;
  /** Which provider call within that run, from 1. */
  attempt: number;
  /** When the call finished, epoch ms. */
  at: number;
  /** The application the call was made for (front-door client name); absent or null when none. */
  client?: string | null;
}

/**
 * Writes a batch of usage records as `ai_request_logs` rows in one statement. A record already
 * written (same call id) is skipped, so replaying a batch after a failure never double counts,
 * while a new call whose job id repeats an old one's (BullMQ ids restart after Redis lost its data)
 * is a row of its own. Key counters (used_today, last_used_at) are not touched here: the lease engine
 * owns them and writes their absolute values (src/store/key-state-writes.ts).
 * Returns how many rows were new.
 */
export async function writeUsageBatch(db: Db, records: readonly UsageRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  const rows = records.map((r) => ({
    call_id: r.callId,
    key_id: r.keyId,
    account_id: r.accountId,
    provider: r.provider,
    model: r.model,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    tokens_used: r.totalTokens,
    usage_estimated: r.usageEstimated,
    estimated_cost: r.costUsd,
    response_status: r.status,
    error_message: r.error,
    job_id: r.jobId,
    job_run: r.jobRun,
    attempt: r.attempt,
    created_at: new Date(r.at),
    client: r.client ?? null,
  }));
  const inserted = await retryOnDeadlock(() =>
    db('ai_request_logs').insert(rows).onConflict('call_id').ignore().returning('log_id'),
  );
  return inserted.length;
}

/**
 * True when Postgres refused the rows themselves (SQLSTATE class 22 data exception, 23 integrity
 * constraint violation): writing them again can never succeed. Anything else (no connection, class
 * 08; shutdown, 57; a missing column, 42) is Postgres's or the deployment's problem and passes.
 */
export function isRecordsFault(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}
