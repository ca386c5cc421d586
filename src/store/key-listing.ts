/**
 * A page of keys, filtered, searched and sorted in Postgres (`GET /api/keys`, the dashboard's keys
 * table). Paging is SQL LIMIT/OFFSET with the total from a COUNT of the same filter: at 10,000 keys
 * both run in a few milliseconds (measured in test/integration/http/keys-listing.test.ts), where
 * loading every row to page in memory would ship all 10,000 rows each time the dashboard polls.
 */
import type { Knex } from 'knex';
import type { Db } from './database.js';
import { effectiveKeyStatus } from './key-status-sql.js';
import { KEY_STATUSES, toView, viewQuery, type KeyStatus, type KeyView } from './keys.js';

export const KEY_SORTS = ['name', 'used_today', 'last_used_at', 'status'] as const;
export type KeySort = (typeof KEY_SORTS)[number];
export const MAX_KEYS_PER_PAGE = 500;

export interface KeyListQuery {
  readonly status?: KeyStatus;
  readonly provider?: string;
  readonly model?: string;
  readonly accountId?: number;
  /** Case-insensitive substring of the key name, the model or the account name. */
  readonly q?: string;
  readonly includeRemoved?: boolean;
  /** From 1. */
  readonly page: number;
  readonly perPage: number;
  readonly sort: KeySort;
  readonly order: 'asc' | 'desc';
}

export interface KeyPage {
  readonly keys: readonly KeyView[];
  readonly total: number;
}

/** `text` as a LIKE pattern that matches it literally anywhere (`%`, `_` and `\` escaped). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function applyFilter(query: Knex.QueryBuilder, filter: KeyListQuery): void {
  if (filter.provider !== undefined) query.where('a.provider_name', filter.provider);
  if (filter.model !== undefined) query.where('k.model_name', filter.model);
  if (filter.accountId !== undefined) query.where('k.account_id', filter.accountId);
  if (filter.status !== undefined) query.whereRaw(`${effectiveKeyStatus('k')} = ?`, [filter.status]);
  if (filter.includeRemoved !== true) query.whereRaw(`k.disabled_kind IS DISTINCT FROM 'removed'`);
  if (filter.q !== undefined && filter.q !== '') {
    const pattern = containsPattern(filter.q);
    query.whereRaw(
      `(k.key_name ILIKE :p ESCAPE '\\' OR k.model_name ILIKE :p ESCAPE '\\' OR a.account_name ILIKE :p ESCAPE '\\')`,
      { p: pattern },
    );
  }
}

/**
 * ORDER BY for a sort. `name` sorts by key number (key_2 before key_10); statuses in the order of
 * KEY_STATUSES (usable first); never-used keys last whichever the direction. Ties fall back to the
 * key number and id, so pages never overlap or skip a key.
 */
function orderBy(sort: KeySort, order: 'asc' | 'desc'): string {
  const dir = order === 'desc' ? 'DESC' : 'ASC';
  const tail = `k.key_number ${dir}, k.key_id ${dir}`;
  switch (sort) {
    case 'name':
      return tail;
    case 'used_today':
      return `k.used_today ${dir}, ${tail}`;
    case 'last_used_at':
      return `k.last_used_at ${dir} NULLS LAST, ${tail}`;
    case 'status': {
      const ranks = KEY_STATUSES.map((s) => `'${s}'`).join(', ');
      return `array_position(ARRAY[${ranks}]::text[], ${effectiveKeyStatus('k')}::text) ${dir}, ${tail}`;
    }
  }
}

export async function listKeyPage(db: Db, filter: KeyListQuery): Promise<KeyPage> {
  const rows = viewQuery(db)
    .orderByRaw(orderBy(filter.sort, filter.order))
    .limit(filter.perPage)
    .offset((filter.page - 1) * filter.perPage);
  applyFilter(rows, filter);
  const count = db('ai_api_keys as k')
    .join('ai_accounts as a', 'a.account_id', 'k.account_id')
    .count<{ total: number }[]>({ total: '*' });
  applyFilter(count, filter);
  const [page, counted] = await Promise.all([rows, count]);
  return { keys: page.map(toView), total: Number(counted[0]?.total ?? 0) };
}
