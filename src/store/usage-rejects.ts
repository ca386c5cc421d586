/**
 * `ai_usage_rejects`: usage stream entries that cannot become `ai_request_logs` rows (Postgres
 * refused the row, or the entry could not be decoded), kept as they were with the reason, so usage
 * logging goes on and a person can mend and replay them. The stream id is unique: an entry set aside
 * twice (the flusher stopped before acknowledging it) is kept once.
 */
import type { Db } from './database.js';

export interface UsageReject {
  /** The stream entry's record text, exactly as it was ('' when the entry had none). */
  readonly raw: string;
  readonly error: string;
  /** Postgres's SQLSTATE; null when the entry could not be decoded. */
  readonly sqlstate: string | null;
  readonly streamId: string;
}

/**
 * Postgres text cannot hold NUL (SQLSTATE 22021): a reject row it refused would block the flusher
 * the very way rejects exist to prevent, so NUL is written as the visible escape `\u0000`.
 */
const storable = (text: string) => text.replaceAll('\u0000', '\\u0000');

export async function writeUsageReject(db: Db, reject: UsageReject): Promise<void> {
  await db('ai_usage_rejects')
    .insert({
      raw_record: storable(reject.raw),
      error_message: storable(reject.error),
      sqlstate: reject.sqlstate,
      stream_id: reject.streamId,
    })
    .onConflict('stream_id')
    .ignore();
}

export async function countUsageRejects(db: Db): Promise<number> {
  const row = await db('ai_usage_rejects').first<{ n: number }>(db.raw('COUNT(*)::bigint AS n'));
  return Number(row.n);
}
