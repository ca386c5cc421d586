/**
 * Usage over time (`GET /api/usage`, `aikeys usage`): requests, tokens, cost and errors per bucket,
 * optionally per key, model, account or client, answering "what did application X spend on model Y
 * last month" with `bucket=day, client=X, model=Y`.
 *
 * Where the numbers come from, and what is exact:
 * - Hours: `ai_request_logs`, exact for as long as the rows are kept (AI_LOG_RETENTION_DAYS).
 * - Days: a day the daily reset closed comes from its rollup (kept forever); a day it did not close
 *   (today, or a day whose reset did not run) from the logs. A day is read from exactly one of the
 *   two, by what `ai_maintenance_periods` says of it, so nothing is counted twice. Grouped by
 *   nothing, key or account, the rollup is `ai_key_daily_usage`; with a model or client (grouped or
 *   filtered) it is `ai_key_daily_usage_detail`, which days closed before it existed lack: those
 *   days come from what is left of their logs. Rollups count for the key's current account, as the
 *   monthly budget does.
 * Errors are calls without a 2xx answer (status 0: no answer), the rollups' `failures`.
 */
import type { Db } from './database.js';
import type { UsageWindow } from './usage-window.js';

export const USAGE_GROUPS = ['none', 'key', 'model', 'account', 'client'] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

export interface UsageTotals {
  readonly requests: number;
  readonly tokens: number;
  readonly cost: number;
  readonly errors: number;
}

export interface UsagePoint extends UsageTotals {
  /** The bucket: `YYYY-MM-DD` for days, the ISO instant the hour starts for hours. */
  readonly time: string;
  /** Key name, model, account name or client; null without grouping (and for calls of no client). */
  readonly group: string | null;
}

export interface UsageFilter {
  readonly key?: string | undefined;
  readonly model?: string | undefined;
  readonly accountId?: number | undefined;
  readonly client?: string | undefined;
}

export interface UsageSeriesQuery {
  readonly window: UsageWindow;
  readonly groupBy: UsageGroup;
  readonly filter: UsageFilter;
  /** AI_TIMEZONE. */
  readonly timeZone: string;
}

export interface UsageSeries {
  readonly series: readonly UsagePoint[];
  readonly totals: UsageTotals;
}

/** The group expression over a log row `l` (its key `k`, its account `a`). */
const LOG_GROUP: Readonly<Record<UsageGroup, string>> = {
  none: 'NULL::text',
  key: 'k.key_name',
  model: 'l.model',
  account: 'a.account_name',
  client: 'l.client',
};

/** One of the daily rollups, as a day's source: its table, which days it holds, its groups, filters. */
interface Rollup {
  readonly table: string;
  /** SQL ending in a day expression: a row exists when the rollup holds that day. */
  readonly holds: string;
  /** The group expression over a rollup row `d` (its key `k` and the key's account `a`). */
  readonly group: Partial<Readonly<Record<UsageGroup, string>>>;
  readonly filters: (filter: UsageFilter) => string;
}

const CLOSED = `SELECT 1 FROM ai_maintenance_periods p WHERE p.task = 'reset-daily' AND p.period = `;
const DETAILED = `SELECT 1 FROM ai_maintenance_periods p
  WHERE p.task = 'reset-daily' AND p.detailed AND p.period = `;

const keyFilters = (filter: UsageFilter) =>
  [
    filter.key ? ' AND k.key_name = :key' : '',
    filter.accountId !== undefined ? ' AND k.account_id = :accountId' : '',
  ].join('');

/** Per key and closed day. */
const KEY_ROLLUP: Rollup = {
  table: 'ai_key_daily_usage',
  holds: CLOSED,
  group: { none: 'NULL::text', key: 'k.key_name', account: 'a.account_name' },
  filters: keyFilters,
};

/** Per key, model and client and closed day, for the days closed since it exists. */
const DETAIL_ROLLUP: Rollup = {
  table: 'ai_key_daily_usage_detail',
  holds: DETAILED,
  group: { ...KEY_ROLLUP.group, model: 'd.model', client: "NULLIF(d.client, '')" },
  filters: (filter) =>
    keyFilters(filter) +
    (filter.model ? ' AND d.model = :model' : '') +
    (filter.client ? ' AND d.client = :client' : ''),
};

/** The rollup that answers a query's closed days: per key unless a model or client is asked for. */
function rollupOf(query: Pick<UsageSeriesQuery, 'groupBy' | 'filter'>): Rollup {
  return KEY_ROLLUP.group[query.groupBy] !== undefined && !query.filter.model && !query.filter.client
    ? KEY_ROLLUP
    : DETAIL_ROLLUP;
}

function logFilters(filter: UsageFilter): string {
  return [
    filter.key ? ' AND k.key_name = :key' : '',
    filter.accountId !== undefined ? ' AND l.account_id = :accountId' : '',
    filter.model ? ' AND l.model = :model' : '',
    filter.client ? ' AND l.client = :client' : '',
  ].join('');
}

const LOG_TOTALS = `COUNT(*) AS requests, COALESCE(SUM(l.tokens_used), 0) AS tokens,
  COALESCE(SUM(l.estimated_cost), 0) AS cost,
  COUNT(*) FILTER (WHERE l.response_status NOT BETWEEN 200 AND 299) AS errors`;

const LOG_FROM = `FROM ai_request_logs l
  LEFT JOIN ai_api_keys k ON k.key_id = l.key_id
  LEFT JOIN ai_accounts a ON a.account_id = l.account_id`;

/** The rows of the window, per bucket and group, before the totals. */
function sourceSql(query: UsageSeriesQuery): string {
  const { window, groupBy, filter } = query;
  if (window.bucket === 'hour') {
    return `SELECT date_trunc('hour', l.created_at, :tz) AS t, ${LOG_GROUP[groupBy]} AS grp, ${LOG_TOTALS}
      ${LOG_FROM}
      WHERE l.created_at >= :from::timestamptz AND l.created_at < :to::timestamptz + interval '1 hour'
      ${logFilters(filter)}
      GROUP BY 1, 2`;
  }
  const rollup = rollupOf(query);
  // The log is read only for the days the rollup does not hold, each through the created_at index;
  // filtering a scan of the whole window by "day not closed" read every row of it. At 1M log rows
  // over 30 days (29 closed), 30 days by day: 778-1886 ms before, 61-94 ms this way with JIT off
  // (below), on a loaded 2-core box.
  const logs = `SELECT o.day AS t, ${LOG_GROUP[groupBy]} AS grp, ${LOG_TOTALS}
      FROM (SELECT g::date AS day FROM generate_series(:from::date, :to::date, interval '1 day') AS g
             WHERE NOT EXISTS (${rollup.holds}g::date)) AS o
      JOIN ai_request_logs l
        ON l.created_at >= (o.day)::timestamp AT TIME ZONE :tz
       AND l.created_at < (o.day + 1)::timestamp AT TIME ZONE :tz
      LEFT JOIN ai_api_keys k ON k.key_id = l.key_id
      LEFT JOIN ai_accounts a ON a.account_id = l.account_id
      WHERE true ${logFilters(filter)}
      GROUP BY 1, 2`;
  return `${logs}
    UNION ALL
    SELECT d.day AS t, ${rollup.group[groupBy]} AS grp, SUM(d.requests) AS requests, SUM(d.tokens) AS tokens,
           SUM(d.cost) AS cost, SUM(d.failures) AS errors
      FROM ${rollup.table} d
      LEFT JOIN ai_api_keys k ON k.key_id = d.key_id
      LEFT JOIN ai_accounts a ON a.account_id = k.account_id
     WHERE d.day >= :from::date AND d.day <= :to::date AND EXISTS (${rollup.holds}d.day)
       ${rollup.filters(filter)}
     GROUP BY 1, 2`;
}

function bucketsSql(window: UsageWindow): string {
  return window.bucket === 'hour'
    ? `SELECT generate_series(:from::timestamptz, :to::timestamptz, interval '1 hour') AS t`
    : `SELECT generate_series(:from::date, :to::date, interval '1 day')::date AS t`;
}

function timeText(window: UsageWindow, column: string): string {
  return window.bucket === 'hour'
    ? `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`
    : `to_char(${column}, 'YYYY-MM-DD')`;
}

const SUMS = `COALESCE(SUM(s.requests), 0)::bigint AS requests, COALESCE(SUM(s.tokens), 0)::bigint AS tokens,
  COALESCE(SUM(s.cost), 0)::numeric AS cost, COALESCE(SUM(s.errors), 0)::bigint AS errors`;

/**
 * One statement: the series and, as the grand-total grouping set, the totals. Without grouping
 * every bucket of the window appears (zeros included), so a chart needs no gap filling.
 */
function seriesSql(query: UsageSeriesQuery): string {
  const { window } = query;
  const source = `WITH s AS (${sourceSql(query)})`;
  if (query.groupBy === 'none') {
    return `${source}, b AS (${bucketsSql(window)})
      SELECT ${timeText(window, 'b.t')} AS time, NULL::text AS grp, ${SUMS}, GROUPING(b.t) AS is_total
        FROM b LEFT JOIN s ON s.t = b.t
       GROUP BY GROUPING SETS ((b.t), ())
       ORDER BY is_total, b.t`;
  }
  return `${source}
    SELECT ${timeText(window, 's.t')} AS time, s.grp, ${SUMS}, GROUPING(s.t, s.grp) AS is_total
      FROM s
     GROUP BY GROUPING SETS ((s.t, s.grp), ())
     ORDER BY is_total, s.t, s.grp NULLS LAST`;
}

interface SeriesRow extends UsageTotals {
  time: string | null;
  grp: string | null;
  is_total: number;
}

export async function usageSeries(db: Db, query: UsageSeriesQuery): Promise<UsageSeries> {
  const { filter, window } = query;
  const bindings: Record<string, string | number> = { tz: query.timeZone, from: window.from, to: window.to };
  if (filter.key) bindings.key = filter.key;
  if (filter.accountId !== undefined) bindings.accountId = filter.accountId;
  if (filter.model) bindings.model = filter.model;
  if (filter.client) bindings.client = filter.client;
  // Without JIT: the planner cannot tell that only today is open, prices the log join as 30 days of
  // rows and compiles it (EXPLAIN ANALYZE at 1M log rows: 880 ms of JIT around a 30 ms index scan).
  const rows = await db.transaction(async (trx) => {
    await trx.raw('SET LOCAL jit = off');
    return (await trx.raw<{ rows: SeriesRow[] }>(seriesSql(query), bindings)).rows;
  });
  const totalsOf = (r: SeriesRow | undefined): UsageTotals => ({
    requests: r?.requests ?? 0,
    tokens: r?.tokens ?? 0,
    cost: r?.cost ?? 0,
    errors: r?.errors ?? 0,
  });
  const points = rows.filter((r) => r.is_total === 0);
  return {
    series: points.map((r) => ({ time: r.time ?? '', group: r.grp, ...totalsOf(r) })),
    totals: totalsOf(rows.find((r) => r.is_total !== 0)),
  };
}
