import type { Db } from './database.js';
import { retryOnDeadlock } from './deadlock-retry.js';
import { addLateRows, lockRollups } from './late-usage.js';

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
 * The batch goes to Postgres as one JSON parameter that `json_to_recordset` turns into rows: the
 * statement's text is the same for every batch (parsed and planned once per connection, not once
 * per batch size), and building it costs one JSON.stringify instead of a query builder's work on
 * 17 placeholders per row. Types are Postgres's: a value that does not fit its column is refused
 * as knex's insert would refuse it (SQLSTATE class 22 or 23; see isRecordsFault). Rows of a day
 * already closed are added to its rollups in the same statement (late-usage.ts).
 */
const WRITE_BATCH = `
WITH written AS (
INSERT INTO ai_request_logs (call_id, key_id, account_id, provider, model, prompt_tokens,
  completion_tokens, tokens_used, usage_estimated, estimated_cost, response_status, error_message,
  job_id, job_run, attempt, created_at, client)
SELECT r.call_id, r.key_id, r.account_id, r.provider, r.model, r.prompt_tokens,
  r.completion_tokens, r.tokens_used, r.usage_estimated, r.estimated_cost, r.response_status,
  r.error_message, r.job_id, r.job_run, r.attempt,
  'epoch'::timestamptz + r.at_ms * interval '1 millisecond', r.client
FROM json_to_recordset(?::json) AS r(call_id uuid, key_id integer, account_id integer,
  provider varchar(100), model varchar(255), prompt_tokens integer, completion_tokens integer,
  tokens_used integer, usage_estimated boolean, estimated_cost numeric(16,8),
  response_status integer, error_message text, job_id varchar(255), job_run integer,
  attempt integer, at_ms bigint, client varchar(64))
ON CONFLICT (call_id) DO NOTHING
RETURNING log_id, key_id, model, client, tokens_used, estimated_cost, response_status, created_at
), ${addLateRows('written')}
SELECT COUNT(*)::int AS written FROM written`;

/**
 * Writes a batch of usage records as `ai_request_logs` rows in one statement. A record already
 * written (same call id) is skipped, so replaying a batch after a failure never double counts,
 * while a new call whose job id repeats an old one's (BullMQ ids restart after Redis lost its data)
 * is a row of its own. Key counters (used_today, last_used_at) are not touched here: the lease engine
 * owns them and writes their absolute values (src/store/key-state-writes.ts). One transaction:
 * the rollups' shared lock, then the statement. Returns how many rows were new.
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
    at_ms: r.at,
    client: r.client ?? null,
  }));
  const json = JSON.stringify(rows);
  return retryOnDeadlock(() =>
    db.transaction(async (trx) => {
      await lockRollups(trx, 'write');
      const result = await trx.raw<{ rows: { written: number }[] }>(WRITE_BATCH, [json]);
      return result.rows[0]?.written ?? 0;
    }),
  );
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
