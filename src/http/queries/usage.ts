/**
 * Request-log aggregates for the dashboard's usage view: per UTC hour, per key, and per hour and
 * key, over the last `hours` hours (the current, partial hour included). Every hour of the window
 * appears in `hourly`, with zeros where nothing ran, so a chart needs no gap filling.
 * Read-only and here rather than in src/store because only the admin server asks this question.
 */
import type { Knex } from 'knex';

export interface UsageTotals {
  readonly requests: number;
  readonly tokens: number;
  readonly cost: number;
  /** Calls without a 2xx response (including status 0: no response). */
  readonly errors: number;
}

export interface UsageReport {
  readonly hours: number;
  /** ISO start of the first hour in the window. */
  readonly since: string;
  readonly hourly: readonly (UsageTotals & { readonly hour: string })[];
  readonly by_key: readonly (UsageTotals & { readonly key: string; readonly provider: string })[];
  readonly by_hour_and_key: readonly (UsageTotals & { readonly hour: string; readonly key: string })[];
}

const HOUR_ISO = `'YYYY-MM-DD"T"HH24:00:00"Z"'`;

// The first hour of the window, as a timestamptz (so the created_at index applies).
const SINCE = `((date_trunc('hour', now() AT TIME ZONE 'UTC') - make_interval(hours => :back)) AT TIME ZONE 'UTC')`;

const TOTALS = `
  COUNT(l.log_id)::bigint AS requests,
  COALESCE(SUM(l.tokens_used), 0)::bigint AS tokens,
  COALESCE(SUM(l.estimated_cost), 0)::numeric AS cost,
  (COUNT(l.log_id) FILTER (WHERE l.response_status NOT BETWEEN 200 AND 299))::bigint AS errors`;

interface TotalsRow {
  requests: number;
  tokens: number;
  cost: number;
  errors: number;
}

function totals(row: TotalsRow): UsageTotals {
  return { requests: row.requests, tokens: row.tokens, cost: row.cost, errors: row.errors };
}

export async function usageReport(db: Knex, hours: number): Promise<UsageReport> {
  const bindings = { back: hours - 1 };
  const [since, hourly, byKey, byHourAndKey] = await Promise.all([
    db.raw<{ rows: { since: string }[] }>(
      `SELECT to_char(${SINCE} AT TIME ZONE 'UTC', ${HOUR_ISO}) AS since`,
      bindings,
    ),
    db.raw<{ rows: (TotalsRow & { hour: string })[] }>(
      `SELECT to_char(h.hour, ${HOUR_ISO}) AS hour, ${TOTALS}
         FROM generate_series(${SINCE} AT TIME ZONE 'UTC', date_trunc('hour', now() AT TIME ZONE 'UTC'), interval '1 hour') AS h(hour)
         LEFT JOIN ai_request_logs l
           ON l.created_at >= h.hour AT TIME ZONE 'UTC'
          AND l.created_at < (h.hour + interval '1 hour') AT TIME ZONE 'UTC'
        GROUP BY h.hour ORDER BY h.hour`,
      bindings,
    ),
    db.raw<{ rows: (TotalsRow & { key: string; provider: string })[] }>(
      `SELECT k.key_name AS key, a.provider_name AS provider, ${TOTALS}
         FROM ai_request_logs l
         JOIN ai_api_keys k ON k.key_id = l.key_id
         JOIN ai_accounts a ON a.account_id = k.account_id
        WHERE l.created_at >= ${SINCE}
        GROUP BY k.key_name, a.provider_name ORDER BY tokens DESC, k.key_name`,
      bindings,
    ),
    db.raw<{ rows: (TotalsRow & { hour: string; key: string })[] }>(
      `SELECT to_char(date_trunc('hour', l.created_at AT TIME ZONE 'UTC'), ${HOUR_ISO}) AS hour, k.key_name AS key, ${TOTALS}
         FROM ai_request_logs l
         JOIN ai_api_keys k ON k.key_id = l.key_id
        WHERE l.created_at >= ${SINCE}
        GROUP BY 1, 2 ORDER BY 1, 2`,
      bindings,
    ),
  ]);
  return {
    hours,
    since: since.rows[0]?.since ?? '',
    hourly: hourly.rows.map((r) => ({ hour: r.hour, ...totals(r) })),
    by_key: byKey.rows.map((r) => ({ key: r.key, provider: r.provider, ...totals(r) })),
    by_hour_and_key: byHourAndKey.rows.map((r) => ({ hour: r.hour, key: r.key, ...totals(r) })),
  };
}
