import type { Db } from './database.js';
import { effectiveKeyStatus } from './key-status-sql.js';

/** One (provider, model) pair the pool's keys are configured for. */
export interface ServedModel {
  readonly provider: string;
  readonly model: string;
  /** At least one of its keys is active now (not blocked, exhausted or disabled). */
  readonly active: boolean;
  /** At least one of its keys is not disabled: it may serve once a block or the day ends. */
  readonly usable: boolean;
  /** When its first key was added, epoch seconds (OpenAI's `created`). */
  readonly createdAt: number;
}

/** Every (provider, model) with a key, sorted by provider then model. */
export async function listServedModels(db: Db): Promise<ServedModel[]> {
  const status = effectiveKeyStatus('k');
  const rows = await db('ai_api_keys as k')
    .join('ai_accounts as a', 'a.account_id', 'k.account_id')
    .select('a.provider_name as provider', 'k.model_name as model')
    .select(db.raw(`bool_or(${status} = 'active') as active`))
    .select(db.raw(`bool_or(k.status <> 'disabled') as usable`))
    .select(db.raw('extract(epoch from min(k.created_at))::bigint as created_at'))
    .groupBy('a.provider_name', 'k.model_name')
    .orderBy([{ column: 'a.provider_name' }, { column: 'k.model_name' }]);
  return (
    rows as { provider: string; model: string; active: boolean; usable: boolean; created_at: string }[]
  ).map((r) => ({
    provider: r.provider,
    model: r.model,
    active: r.active,
    usable: r.usable,
    createdAt: Number(r.created_at),
  }));
}
