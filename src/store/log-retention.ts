/**
 * Retention of the raw usage log: `ai_request_logs` rows older than AI_LOG_RETENTION_DAYS are
 * deleted by the daily `prune-logs` task. The per-day history (`ai_key_daily_usage`) is kept.
 *
 * Deleted in batches, each its own short statement, so no single transaction holds row locks on
 * months of rows or blocks vacuum for long, and usage writes (inserts of new rows, which never
 * conflict with old ones) go on meanwhile.
 */
import type { Db } from './database.js';

export const PRUNE_BATCH_ROWS = 5000;

export interface PruneResult {
  readonly deleted: number;
  readonly batches: number;
  /** Rows created before this instant were removed (ISO 8601). */
  readonly before: string;
}

export async function pruneRequestLogs(
  db: Db,
  options: { retentionDays: number; nowMs?: number; batchRows?: number },
): Promise<PruneResult> {
  const { retentionDays } = options;
  if (!Number.isSafeInteger(retentionDays) || retentionDays < 1) {
    throw new Error(`AI_LOG_RETENTION_DAYS must be a whole number of at least 1 (got ${retentionDays})`);
  }
  const batchRows = options.batchRows ?? PRUNE_BATCH_ROWS;
  const before = new Date((options.nowMs ?? Date.now()) - retentionDays * 86_400_000);
  let deleted = 0;
  let batches = 0;
  for (;;) {
    const result = await db.raw<{ rowCount: number }>(
      `DELETE FROM ai_request_logs WHERE log_id IN (
         SELECT log_id FROM ai_request_logs WHERE created_at < ? LIMIT ?)`,
      [before, batchRows],
    );
    batches += 1;
    deleted += result.rowCount;
    if (result.rowCount < batchRows) break;
  }
  return { deleted, batches, before: before.toISOString() };
}
