/**
 * A pool the size the dashboard is built for: the env lines of `count` simulated keys over two
 * providers and five models (a few of them invalid, so the pool has failures to show), and a usage
 * history written straight into Postgres (closed days in `ai_key_daily_usage`, calls of the last
 * 24 hours in `ai_request_logs`, with clients), so a chart has 30 days to draw without running for
 * 30 days. Used by the dashboard's browser test and by scripts/dashboard-screenshot.ts.
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
 * History for the first `keys` keys: `days` closed days before today (the local database's
 * calendar; the dashboard's tests run in UTC) and `callsPerHour` calls in each of the last 24 hours.
 */
export async function seedUsageHistory(
  db: Knex,
  options: { keys: number; days: number; callsPerHour: number },
): Promise<{ dailyRows: number; logRows: number }> {
  const random = rng(42);
  const keys = await db('ai_api_keys as k')
    .join('ai_accounts as a', 'a.account_id', 'k.account_id')
    .orderBy('k.key_id')
    .limit(options.keys)
    .select<KeyRow[]>('k.key_id', 'k.account_id', 'a.provider_name', 'k.model_name');
  const daily = [];
  for (let d = 1; d <= options.days; d++) {
    // A weekly rhythm and slow growth, so the chart looks like a working pool.
    const level = (0.6 + 0.4 * Math.sin(d / 1.2)) * (1 - d / (options.days * 2));
    for (const k of keys) {
      const requests = Math.round(level * (20 + random() * 30));
      if (requests === 0) continue;
      const tokens = requests * Math.round(300 + random() * 500);
      daily.push({
        key_id: k.key_id,
        day: db.raw(`(now() AT TIME ZONE 'UTC')::date - ?::int`, [d]),
        requests,
        tokens,
        cost: (tokens * 0.6) / 1e6,
        failures: Math.round(requests * random() * 0.05),
      });
    }
  }
  const logs = [];
  for (let h = 0; h < 24; h++) {
    const calls = Math.round(options.callsPerHour * (0.5 + 0.5 * Math.sin((h + 3) / 3.5) ** 2));
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
  for (let i = 0; i < daily.length; i += 1000)
    await db('ai_key_daily_usage').insert(daily.slice(i, i + 1000));
  for (let i = 0; i < logs.length; i += 1000) await db('ai_request_logs').insert(logs.slice(i, i + 1000));
  return { dailyRows: daily.length, logRows: logs.length };
}
