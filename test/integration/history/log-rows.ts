/** Usage log rows written straight into `ai_request_logs` at chosen instants (the clock is the subject). */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../../src/store/database.js';

export interface LogRow {
  readonly keyId: number;
  readonly at: string;
  readonly tokens?: number;
  readonly cost?: number;
  readonly status?: number;
  readonly model?: string;
  readonly client?: string;
}

export async function insertLogs(db: Db, rows: readonly LogRow[]): Promise<void> {
  if (rows.length === 0) return;
  const accounts = new Map<number, number>(
    (await db('ai_api_keys').select<{ key_id: number; account_id: number }[]>('key_id', 'account_id')).map(
      (r) => [r.key_id, r.account_id],
    ),
  );
  await db('ai_request_logs').insert(
    rows.map((r) => ({
      call_id: randomUUID(),
      key_id: r.keyId,
      account_id: accounts.get(r.keyId),
      provider: 'openai',
      model: r.model ?? 'gpt-4-turbo',
      prompt_tokens: r.tokens ?? 0,
      completion_tokens: 0,
      tokens_used: r.tokens ?? 0,
      estimated_cost: r.cost ?? 0,
      response_status: r.status ?? 200,
      job_id: randomUUID(),
      client: r.client ?? null,
      created_at: new Date(r.at),
    })),
  );
}
