/**
 * `GET /api/usage`, `GET /api/failures`, `GET /api/keys/:name` usage and `GET /api/accounts/:id`
 * against real Postgres, in a zone with a half-hour offset (Asia/Kolkata, UTC+5:30) so that local
 * days and hours differ from UTC ones. Three days of calls: the day before yesterday (its reset did
 * not run: open, read from the log), yesterday (closed by the reset: read from its rollups; one of
 * its log rows is then pruned, so the rollups and the log disagree and each answer shows which it
 * read) and today (open). And a day a week ago, closed before the rollups per model and client
 * existed: only its per-key rollup is there.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, localDate } from '../../../src/core/time-zone.js';
import { rollUpDay, RESET_TASK } from '../../../src/store/daily-history.js';
import { localMidnight } from '../../../src/store/usage-window.js';
import { isolate } from '../../setup/isolation.js';
import { buildApp, setUp, type Fixture } from './fixtures.js';

const TZ = 'Asia/Kolkata';
const env = isolate('httpusage');
let f: Fixture;
let app: FastifyInstance;

const now = Date.now();
const today = localDate(now, TZ);
const yesterday = addDays(today, -1);
const dayBefore = addDays(today, -2);
const weekAgo = addDays(today, -7);
const noonOf = (day: string) => new Date(localMidnight(day, TZ) + 12 * 3_600_000);
// Today's calls: half an hour ago, or just after local midnight when the day is younger than that.
const todayAt = new Date(Math.max(localMidnight(today, TZ) + 1000, now - 30 * 60_000));

interface Call {
  key: number;
  model: string;
  client: string | null;
  tokens: number;
  status: number;
  at: Date;
  error?: string;
}

const CALLS: Call[] = [
  { key: 1, model: 'gpt-4o-mini', client: 'app-a', tokens: 10, status: 200, at: noonOf(dayBefore) },
  { key: 1, model: 'gpt-4o-mini', client: 'app-a', tokens: 100, status: 200, at: noonOf(yesterday) },
  // Pruned from the log after the rollup (below): only the rollup remembers it.
  { key: 3, model: 'gpt-4o', client: 'app-b', tokens: 50, status: 500, at: noonOf(yesterday), error: 'boom' },
  { key: 1, model: 'gpt-4o', client: 'app-a', tokens: 20, status: 200, at: todayAt },
  { key: 2, model: 'gpt-4o-mini', client: null, tokens: 30, status: 429, at: todayAt, error: 'rate limited' },
  { key: 2, model: 'gpt-4o-mini', client: 'app-c', tokens: 7, status: 200, at: noonOf(weekAgo) },
];
const cost = (tokens: number) => tokens / 10_000;

beforeAll(async () => {
  f = await setUp(env);
  await f.db('ai_request_logs').del();
  const keys = await f
    .db('ai_api_keys')
    .select<{ key_id: number; key_number: number; account_id: number }[]>();
  const byNumber = new Map(keys.map((k) => [k.key_number, k]));
  await f.db('ai_request_logs').insert(
    CALLS.map((c) => ({
      key_id: byNumber.get(c.key)!.key_id,
      account_id: byNumber.get(c.key)!.account_id,
      provider: 'openai',
      model: c.model,
      tokens_used: c.tokens,
      estimated_cost: cost(c.tokens),
      response_status: c.status,
      error_message: c.error ?? null,
      client: c.client,
      job_id: `job-${c.tokens}`,
      attempt: 1,
      created_at: c.at,
    })),
  );
  // The reset closed yesterday, then the retention pruned one of its rows.
  await f.db('ai_maintenance_periods').insert({ task: RESET_TASK, period: yesterday });
  await rollUpDay(f.db, yesterday, TZ);
  await f.db('ai_request_logs').where({ tokens_used: 50 }).del();
  // A week ago: closed, with the per-key rollup only (as days closed before migration 013 are).
  await f.db('ai_maintenance_periods').insert({ task: RESET_TASK, period: weekAgo });
  await f.db('ai_key_daily_usage').insert({
    key_id: byNumber.get(2)!.key_id,
    day: weekAgo,
    requests: 1,
    tokens: 7,
    cost: cost(7),
    failures: 0,
  });
  await f.db('ai_accounts').where({ account_name: 'Primary Account' }).update({ monthly_budget: 50 });
  app = await buildApp(f, { config: { ...f.config, system: { ...f.config.system, timeZone: TZ } } });
});

afterAll(async () => {
  await app?.close();
  await f?.close();
  await env.cleanup();
});

async function get(url: string) {
  const res = await app.inject({ method: 'GET', url });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

const days = `bucket=day&from=${dayBefore}&to=${today}`;

describe('GET /api/usage by day', () => {
  it('reads a closed day from its rollup and open days from the log, each once', async () => {
    const { status, body } = await get(`/api/usage?${days}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ bucket: 'day', from: dayBefore, to: today, time_zone: TZ });
    expect(body.series).toEqual([
      { time: dayBefore, group: null, requests: 1, tokens: 10, cost: 0.001, errors: 0 },
      // The rollup: both calls, the pruned one included; not also the log's remaining row.
      { time: yesterday, group: null, requests: 2, tokens: 150, cost: 0.015, errors: 1 },
      { time: today, group: null, requests: 2, tokens: 50, cost: 0.005, errors: 1 },
    ]);
    expect(body.totals).toEqual({ requests: 5, tokens: 210, cost: 0.021, errors: 2 });
  });

  it('shows every day of the window, with zeros, without grouping', async () => {
    const { body } = await get(`/api/usage?bucket=day&from=${addDays(today, -9)}&to=${today}`);
    expect(body.series).toHaveLength(10);
    expect(body.series[0]).toEqual({
      time: addDays(today, -9),
      group: null,
      requests: 0,
      tokens: 0,
      cost: 0,
      errors: 0,
    });
    expect(body.totals.requests).toBe(6);
  });

  it('groups by key and account through the rollups', async () => {
    const byKey = await get(`/api/usage?${days}&group_by=key`);
    expect(byKey.body.series.filter((p: { time: string }) => p.time === yesterday)).toEqual([
      { time: yesterday, group: 'key_1', requests: 1, tokens: 100, cost: 0.01, errors: 0 },
      { time: yesterday, group: 'key_3', requests: 1, tokens: 50, cost: 0.005, errors: 1 },
    ]);
    expect(byKey.body.totals.tokens).toBe(210);
    const byAccount = await get(`/api/usage?${days}&group_by=account`);
    const accounts = (byAccount.body.series as { group: string; tokens: number }[]).reduce<
      Record<string, number>
    >((sums, p) => ({ ...sums, [p.group]: (sums[p.group] ?? 0) + p.tokens }), {});
    expect(accounts).toEqual({ 'Primary Account': 160, 'Secondary Account (Fallback)': 50 });
  });

  it('groups by client and model through the detailed rollups, the pruned call included', async () => {
    const byClient = await get(`/api/usage?${days}&group_by=client`);
    expect(byClient.body.series).toEqual([
      { time: dayBefore, group: 'app-a', requests: 1, tokens: 10, cost: 0.001, errors: 0 },
      { time: yesterday, group: 'app-a', requests: 1, tokens: 100, cost: 0.01, errors: 0 },
      { time: yesterday, group: 'app-b', requests: 1, tokens: 50, cost: 0.005, errors: 1 },
      { time: today, group: 'app-a', requests: 1, tokens: 20, cost: 0.002, errors: 0 },
      { time: today, group: null, requests: 1, tokens: 30, cost: 0.003, errors: 1 },
    ]);
    const byModel = await get(`/api/usage?${days}&group_by=model`);
    expect(byModel.body.totals).toEqual({ requests: 5, tokens: 210, cost: 0.021, errors: 2 });
    expect(byModel.body.series.filter((p: { time: string }) => p.time !== dayBefore)).toEqual([
      { time: yesterday, group: 'gpt-4o', requests: 1, tokens: 50, cost: 0.005, errors: 1 },
      { time: yesterday, group: 'gpt-4o-mini', requests: 1, tokens: 100, cost: 0.01, errors: 0 },
      { time: today, group: 'gpt-4o', requests: 1, tokens: 20, cost: 0.002, errors: 0 },
      { time: today, group: 'gpt-4o-mini', requests: 1, tokens: 30, cost: 0.003, errors: 1 },
    ]);
  });

  it('answers by client for a day closed before the detailed rollups from what its log keeps', async () => {
    const week = `bucket=day&from=${weekAgo}&to=${weekAgo}`;
    const byClient = await get(`/api/usage?${week}&group_by=client`);
    expect(byClient.body.series).toEqual([
      { time: weekAgo, group: 'app-c', requests: 1, tokens: 7, cost: 0.0007, errors: 0 },
    ]);
    // The same day by key still comes from its rollup, once.
    expect((await get(`/api/usage?${week}&group_by=key`)).body.totals.tokens).toBe(7);
    await f.db('ai_request_logs').where({ tokens_used: 7 }).del();
    expect((await get(`/api/usage?${week}&client=app-c`)).body.totals.tokens).toBe(0);
    expect((await get(`/api/usage?${week}`)).body.totals.tokens).toBe(7);
  });

  it('answers what one application spent on one model', async () => {
    const { body } = await get(`/api/usage?${days}&client=app-a&model=gpt-4o-mini`);
    expect(body.series.map((p: { tokens: number }) => p.tokens)).toEqual([10, 100, 0]);
    expect(body.totals).toEqual({ requests: 2, tokens: 110, cost: 0.011, errors: 0 });
    // Yesterday's call whose log row was pruned: the rollup still holds it.
    const pruned = await get(`/api/usage?${days}&client=app-b&model=gpt-4o`);
    expect(pruned.body.totals).toEqual({ requests: 1, tokens: 50, cost: 0.005, errors: 1 });
  });

  it('filters by key and account', async () => {
    const key = await get(`/api/usage?${days}&key=key_1`);
    expect(key.body.totals.tokens).toBe(130);
    const fallback = (await get('/api/accounts')).body.accounts[1].account_id as number;
    const account = await get(`/api/usage?${days}&account_id=${fallback}`);
    expect(account.body.totals).toEqual({ requests: 1, tokens: 50, cost: 0.005, errors: 1 });
  });
});

describe('GET /api/usage by hour', () => {
  it('buckets the log by local hour, every hour of the window present', async () => {
    const from = new Date(now - 5 * 3_600_000).toISOString();
    const { status, body } = await get(
      `/api/usage?bucket=hour&from=${from}&to=${new Date(now).toISOString()}`,
    );
    expect(status).toBe(200);
    expect(body.series).toHaveLength(6);
    // Kolkata's hours start at half past the UTC hour.
    for (const p of body.series) expect(p.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:30:00Z$/);
    expect(body.to).toBe(body.series[5].time);
    const todays = CALLS.filter((c) => c.at === todayAt);
    expect(body.totals).toMatchObject({ requests: todays.length, tokens: 50, errors: 1 });
    const hourOfCalls = body.series.find((p: { requests: number }) => p.requests > 0);
    expect(Date.parse(hourOfCalls.time)).toBeLessThanOrEqual(todayAt.getTime());
    expect(Date.parse(hourOfCalls.time) + 3_600_000).toBeGreaterThan(todayAt.getTime());
  });

  it('defaults to the last 24 hours', async () => {
    const { body } = await get('/api/usage');
    expect(body.bucket).toBe('hour');
    expect(body.series).toHaveLength(24);
  });

  it('keeps the older ?hours=N answer', async () => {
    const { status, body } = await get('/api/usage?hours=24');
    expect(status).toBe(200);
    expect(body.hours).toBe(24);
    expect(body.hourly).toHaveLength(24);
    expect(body.by_key.map((k: { key: string }) => k.key).sort()).toEqual(['key_1', 'key_2']);
  });
});

describe('GET /api/usage refuses bad input, naming the field', () => {
  const cases: [string, RegExp][] = [
    ['bucket=week', /query\.bucket/],
    ['group_by=colour', /query\.group_by/],
    ['bucket=day&from=2026-02-30', /query\.from: 2026-02-30 is not a calendar day/],
    ['bucket=hour&from=yesterday', /query\.from: expected a day/],
    ['bucket=hour&from=2026-01-01T00:00:00', /query\.from: expected a day/],
    [`bucket=day&from=${today}&to=${dayBefore}`, /query\.from: .* is after query\.to/],
    [`bucket=hour&from=${addDays(today, -40)}&to=${today}`, /query\.to: .* at most 31 days .*bucket=day/],
    [
      `bucket=day&from=${addDays(today, -400)}&to=${today}`,
      /query\.to: the window holds 401 days; at most 400 days/,
    ],
    ['key=secret', /query\.key: a key name is key_N/],
    ['account_id=x', /query\.account_id/],
    ['hours=24&bucket=day', /query\.hours: .* cannot be combined with bucket/],
    ['colour=red', /colour/],
  ];
  it.each(cases)('%s', async (query, message) => {
    const { status, body } = await get(`/api/usage?${query}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.message).toMatch(message);
  });
});

describe('GET /api/failures', () => {
  it('lists failed calls newest first with their key, client and stored message', async () => {
    const { status, body } = await get('/api/failures');
    expect(status).toBe(200);
    expect(body.failures).toEqual([
      {
        at: todayAt.toISOString(),
        key: 'key_2',
        provider: 'openai',
        model: 'gpt-4o-mini',
        status: 429,
        error: 'rate limited',
        job_id: 'job-30',
        attempt: 1,
        client: null,
      },
    ]);
  });

  it('filters by key, client and time, and bounds the limit', async () => {
    expect((await get('/api/failures?key=key_1')).body.failures).toEqual([]);
    expect((await get('/api/failures?client=app-a')).body.failures).toEqual([]);
    const since = new Date(todayAt.getTime() + 1000).toISOString();
    expect((await get(`/api/failures?since=${since}`)).body.failures).toEqual([]);
    const bad = await get('/api/failures?limit=501');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/query\.limit/);
    expect((await get('/api/failures?since=today')).body.error.message).toMatch(/query\.since/);
  });
});

describe('GET /api/keys/:name', () => {
  it("adds today's and the last 7 days' usage and the recent failures", async () => {
    const { status, body } = await get('/api/keys/key_1');
    expect(status).toBe(200);
    expect(body.key).toMatchObject({ name: 'key_1', account: 'Primary Account', status: 'active' });
    expect(body.key.today).toEqual({ requests: 1, tokens: 20, cost: 0.002, errors: 0 });
    expect(body.key.last_7_days).toEqual({ requests: 3, tokens: 130, cost: 0.013, errors: 0 });
    expect(body.recent_failures).toEqual([]);
    const key2 = await get('/api/keys/key_2');
    expect(key2.body.recent_failures.map((x: { status: number }) => x.status)).toEqual([429]);
  });

  it('answers 404 KEY_NOT_FOUND and 400 for a name that cannot be a key', async () => {
    expect(await get('/api/keys/key_99')).toEqual({
      status: 404,
      body: { error: { code: 'KEY_NOT_FOUND', message: 'No key named key_99' } },
    });
    const bad = await get('/api/keys/sk-live');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/params\.name/);
  });
});

describe('GET /api/accounts/:id', () => {
  it('gives the account with its quota and budget use and its keys', async () => {
    const list = (await get('/api/accounts')).body.accounts as { account_id: number; name: string }[];
    const primary = list.find((a) => a.name === 'Primary Account')!;
    const { status, body } = await get(`/api/accounts/${primary.account_id}`);
    expect(status).toBe(200);
    // This month's spend: yesterday's rollup and the open days' log, of the days in today's month.
    const inMonth = (d: Date) => localDate(d.getTime(), TZ).slice(0, 7) === today.slice(0, 7);
    const spend = CALLS.filter((c) => c.key <= 2 && inMonth(c.at)).reduce((s, c) => s + cost(c.tokens), 0);
    expect(body.account).toMatchObject({ name: 'Primary Account', provider: 'openai', monthly_budget: 50 });
    expect(body.account.stats).toEqual({
      keys: 2,
      active_keys: 1,
      used_today: 1510,
      daily_quota: 200000,
      monthly_spend: expect.closeTo(spend, 8),
      monthly_budget: 50,
    });
    expect(body.keys.map((k: { name: string }) => k.name)).toEqual(['key_1', 'key_2']);
  });

  it('answers 404 for an unknown account and 400 for a bad id', async () => {
    const missing = await get('/api/accounts/999999');
    expect(missing).toEqual({
      status: 404,
      body: { error: { code: 'ACCOUNT_NOT_FOUND', message: 'No account with id 999999' } },
    });
    const bad = await get('/api/accounts/abc');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/params\.id/);
  });
});
