/**
 * A pool the size the dashboard is built for: the env lines of `count` simulated keys over two
 * providers and five models (a few of them invalid, so the pool has failures to show), and a usage
 * history written straight into Postgres (calls in `ai_request_logs`, with clients, and the daily
 * rollups of the days before today), so a chart has 30 days to draw without running for 30 days. Used by the dashboard's browser test and by scripts/dashboard-screenshot.ts.
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

export const POOL_MODELS = {
  openai: ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'],
  anthropic: ['claude-3-5-haiku-latest', 'claude-sonnet-4-0'],
} as const;

const CLIENTS = ['billing-app', 'support-bot', 'search', null] as const;

/** Every `invalidEvery`-th key answers 401 (`sim-401-`): its first call disables it. */
export function poolEnvLines(
  count: number,
  options: { anthropicBaseUrl: string; invalidEvery?: number },
): string[] {
  const lines = [`AI_PROVIDER_ANTHROPIC_BASE_URL=${options.anthropicBaseUrl}`];
  for (let n = 1; n <= count; n++) {
    // Three keys in five are OpenAI's: each provider gets a primary and a fallback account.
    const provider = n % 5 < 3 ? 'openai' : 'anthropic';
    const models = POOL_MODELS[provider];
    const model = models[n % models.length];
    const invalid = options.invalidEvery !== undefined && n % options.invalidEvery === 0;
    const secret = `${invalid ? 'sim-401' : 'sim-ok'}-pool${n}-${randomBytes(8).toString('hex')}`;
    lines.push(`KEY_${n}=${secret}`, `KEY_${n}_PROVIDER=${provider}`, `KEY_${n}_MODEL=${model}`);
  }
  return lines;
}

interface KeyRow {
  key_id: number;
  account_id: number;
  provider_name: string;
  model_name: string;
}

/** Deterministic pseudo-random numbers, so two runs draw the same history. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * History for the first `keys` keys: calls over the last `days` days (about `callsPerHour` an hour,
 * with a daily and a weekly rhythm, 3% rate-limited), then the rollups the daily reset would have
 * written for every day before today (UTC, the tests' AI_TIMEZONE), each day marked closed. The
 * rollups are computed from the same rows, so every view of the usage API agrees.
 */
export async function seedUsageHistory(
  db: Knex,
  options: { keys: number; days: number; callsPerHour: number },
): Promise<{ logRows: number; closedDays: number }> {
  const random = rng(42);
  const keys = await db('ai_api_keys as k')
    .join('ai_accounts as a', 'a.account_id', 'k.account_id')
    .orderBy('k.key_id')
    .limit(options.keys)
    .select<KeyRow[]>('k.key_id', 'k.account_id', 'a.provider_name', 'k.model_name');
  const logs = [];
  for (let h = 0; h < options.days * 24; h++) {
    const daily = 0.35 + 0.65 * Math.sin(((h % 24) + 3) / 7.6) ** 2;
    const weekly = Math.floor(h / 24) % 7 >= 5 ? 0.55 : 1;
    const growth = 1 - h / (options.days * 24 * 2.5);
    const calls = Math.round(options.callsPerHour * daily * weekly * growth * (0.85 + 0.3 * random()));
    for (let c = 0; c < calls; c++) {
      const k = keys[Math.floor(random() * keys.length)]!;
      const failed = random() < 0.03;
      const prompt = Math.round(200 + random() * 600);
      const completion = failed ? 0 : Math.round(50 + random() * 300);
      logs.push({
        key_id: k.key_id,
        account_id: k.account_id,
        provider: k.provider_name,
        model: k.model_name,
        prompt_tokens: failed ? 0 : prompt,
        completion_tokens: completion,
        tokens_used: failed ? 0 : prompt + completion,
        estimated_cost: failed ? 0 : (prompt * 0.15 + completion * 0.6) / 1e6,
        response_status: failed ? 429 : 200,
        error_message: failed ? 'rate limited by the provider (Retry-After 30 s)' : null,
        client: CLIENTS[Math.floor(random() * CLIENTS.length)],
        created_at: db.raw(`now() - make_interval(hours => ?, secs => ?)`, [h, Math.floor(random() * 3600)]),
      });
    }
  }
  for (let i = 0; i < logs.length; i += 1000) await db('ai_request_logs').insert(logs.slice(i, i + 1000));
  const today = `date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;
  await db.raw(`
    INSERT INTO ai_key_daily_usage (key_id, day, requests, tokens, cost, failures)
    SELECT key_id, (created_at AT TIME ZONE 'UTC')::date, COUNT(*), SUM(tokens_used), SUM(estimated_cost),
           COUNT(*) FILTER (WHERE response_status NOT BETWEEN 200 AND 299)
      FROM ai_request_logs WHERE created_at < ${today}
     GROUP BY 1, 2`);
  const closed = await db.raw<{ rowCount: number }>(`
    INSERT INTO ai_maintenance_periods (task, period)
    SELECT DISTINCT 'reset-daily', day FROM ai_key_daily_usage ON CONFLICT DO NOTHING`);
  return { logRows: logs.length, closedDays: closed.rowCount };
}
