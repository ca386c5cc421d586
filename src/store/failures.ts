/**
 * Recent failed provider calls, newest first (`GET /api/failures`, a key's detail): the log rows
 * without a 2xx answer. Error messages are shown as stored: the worker redacts them before they are
 * written (src/providers/redact.ts), so they hold no key. Read through the partial index of
 * migration 012, so the newest failures are found without walking the successes around them.
 */
import type { Db } from './database.js';

export const MAX_FAILURES_LISTED = 500;

export interface FailureView {
  readonly at: Date;
  readonly key: string | null;
  readonly provider: string;
  readonly model: string;
  /** HTTP status, 0 when no answer came. */
  readonly status: number;
  readonly error: string | null;
  readonly jobId: string | null;
  readonly attempt: number;
  readonly client: string | null;
}

export interface FailureFilter {
  readonly limit: number;
  readonly key?: string | undefined;
  readonly client?: string | undefined;
  readonly since?: Date | undefined;
}

interface FailureRow {
  created_at: Date;
  key_name: string | null;
  provider: string;
  model: string;
  response_status: number;
  error_message: string | null;
  job_id: string | null;
  attempt: number;
  client: string | null;
}

/** The predicate of the partial index: write it the same way so the planner can use it. */
export const IS_FAILURE = 'l.response_status NOT BETWEEN 200 AND 299';

export async function listFailures(db: Db, filter: FailureFilter): Promise<FailureView[]> {
  const query = db('ai_request_logs as l')
    .leftJoin('ai_api_keys as k', 'k.key_id', 'l.key_id')
    .whereRaw(IS_FAILURE)
    .select<FailureRow[]>(
      'l.created_at',
      'k.key_name',
      'l.provider',
      'l.model',
      'l.response_status',
      'l.error_message',
      'l.job_id',
      'l.attempt',
      'l.client',
    )
    .orderBy([
      { column: 'l.created_at', order: 'desc' },
      { column: 'l.log_id', order: 'desc' },
    ])
    .limit(Math.min(Math.max(1, filter.limit), MAX_FAILURES_LISTED));
  if (filter.key !== undefined) query.where('k.key_name', filter.key);
  if (filter.client !== undefined) query.where('l.client', filter.client);
  if (filter.since !== undefined) query.where('l.created_at', '>=', filter.since);
  const rows = await query;
  return rows.map((r) => ({
    at: r.created_at,
    key: r.key_name,
    provider: r.provider,
    model: r.model,
    status: r.response_status,
    error: r.error_message,
    jobId: r.job_id,
    attempt: r.attempt,
    client: r.client,
  }));
}
