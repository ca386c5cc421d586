/**
 * `GET /api/keys` at a few hundred keys (filters, search, sort, paging with the total), then at
 * 10,000 to show the SQL paging stays fast. Keys are written straight into Postgres: the listing
 * reads rows and never opens an envelope.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { isolate } from '../../setup/isolation.js';
import { buildApp, makeConfig, type Fixture } from './fixtures.js';
import { generateMasterKey } from '../../../src/crypto/key-ring.js';
import { Queue } from 'bullmq';

const env = isolate('keylisting');
let db: Db;
let queue: Queue;
let app: FastifyInstance;
const accounts: Record<string, number> = {};

/** Keys `from..to`: provider by account, a model, a status and a use pattern that vary with N. */
async function seedKeys(from: number, to: number): Promise<void> {
  await db.raw(
    `INSERT INTO ai_api_keys (account_id, api_key_hash, api_key_encrypted, key_name, key_number, model_name,
                              daily_limit, used_today, status, temporary_block_until, disabled_reason,
                              disabled_kind, last_used_at)
     SELECT CASE WHEN n % 3 = 0 THEN :anthropic::int WHEN n % 3 = 1 THEN :primary::int ELSE :fallback::int END,
            md5(n::text) || md5('x' || n::text), 'not-an-envelope', 'key_' || n, n,
            CASE WHEN n % 3 = 0 THEN 'claude-3-5-haiku' WHEN n % 2 = 0 THEN 'gpt-4o' ELSE 'gpt-4o-mini' END,
            100000, (n * 37) % 1000,
            CASE WHEN n % 10 = 0 THEN 'disabled' WHEN n % 7 = 0 THEN 'temporarily_blocked' ELSE 'active' END,
            CASE WHEN n % 7 = 0 THEN now() + interval '1 hour' END,
            CASE WHEN n % 10 = 0 THEN 'by hand' END,
            CASE WHEN n % 10 = 0 THEN 'manual' END,
            CASE WHEN n % 5 = 0 THEN NULL ELSE now() - make_interval(mins => n) END
       FROM generate_series(:from::int, :to::int) AS n`,
    { ...accounts, from, to },
  );
}

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl, { poolMax: 4 });
  for (const [ref, name, provider, priority] of [
    ['primary', 'Primary Account (openai)', 'openai', 1],
    ['fallback', 'Secondary Account (Fallback) (openai)', 'openai', 2],
    ['anthropic', 'Primary Account (anthropic)', 'anthropic', 1],
  ] as const) {
    const [row] = await db('ai_accounts')
      .insert({ account_name: name, provider_name: provider, priority })
      .returning<{ account_id: number }[]>('account_id');
    accounts[ref] = row!.account_id;
  }
  await seedKeys(1, 300);
  // key_300 left the config: history, listed only when asked.
  await db('ai_api_keys').where({ key_number: 300 }).update({ disabled_kind: 'removed' });
  queue = new Queue(env.queueName, { connection: { host: '127.0.0.1', port: 6379 }, prefix: env.prefix });
  const f = { db, queue, config: makeConfig(env, generateMasterKey()) } as unknown as Fixture;
  app = await buildApp(f);
});

afterAll(async () => {
  await app?.close();
  await queue?.close();
  await db?.destroy();
  await env.cleanup();
});

interface Listed {
  name: string;
  number: number;
  status: string;
  used_today: number;
  last_used_at: string | null;
  model: string;
  account: string;
  provider: string;
}
interface Page {
  keys: Listed[];
  total: number;
  page: number;
  per_page: number;
}

async function list(query: string): Promise<Page> {
  const res = await app.inject({ method: 'GET', url: `/api/keys?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Page>();
}

const numbers = (page: Page) => page.keys.map((k) => k.number);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('GET /api/keys paging', () => {
  it('pages by key number with the total of every page', async () => {
    const first = await list('');
    expect(first).toMatchObject({ total: 299, page: 1, per_page: 50 });
    expect(numbers(first)).toEqual(range(1, 50));
    const third = await list('page=3&per_page=100');
    expect(numbers(third)).toEqual(range(201, 299));
    expect((await list('page=9')).keys).toEqual([]);
  });

  it('lists removed keys only when asked', async () => {
    expect((await list('include_removed=true&per_page=500')).total).toBe(300);
    expect(numbers(await list('include_removed=true&sort=name&order=desc&per_page=1'))).toEqual([300]);
  });

  it('refuses a page size over 500 or a bad sort, naming the field', async () => {
    for (const [query, field] of [
      ['per_page=501', 'query.per_page'],
      ['per_page=0', 'query.per_page'],
      ['page=0', 'query.page'],
      ['sort=secret', 'query.sort'],
      ['order=up', 'query.order'],
      ['account_id=-1', 'query.account_id'],
      ['account_id=2147483648', 'query.account_id'],
      ['nope=1', 'nope'],
    ]) {
      const res = await app.inject({ method: 'GET', url: `/api/keys?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.message, query).toContain(field);
    }
  });
});

describe('GET /api/keys filters and search', () => {
  it('filters by status, provider, model and account, with matching totals', async () => {
    const disabled = await list('status=disabled&per_page=500');
    expect(disabled.total).toBe(29);
    expect(disabled.keys.every((k) => k.status === 'disabled' && k.number % 10 === 0)).toBe(true);
    // key_300 (anthropic) was removed.
    expect((await list('provider=anthropic')).total).toBe(99);
    const mini = await list('model=gpt-4o-mini&per_page=500');
    expect(mini.keys.every((k) => k.model === 'gpt-4o-mini')).toBe(true);
    expect(mini.total).toBe(range(1, 299).filter((n) => n % 3 !== 0 && n % 2 === 1).length);
    const byAccount = await list(`account_id=${accounts.fallback}&status=active&per_page=500`);
    expect(byAccount.keys.every((k) => k.account.startsWith('Secondary') && k.status === 'active')).toBe(
      true,
    );
    expect(byAccount.total).toBe(byAccount.keys.length);
  });

  it('searches key name, model and account name case-insensitively', async () => {
    expect((await list('q=CLAUDE')).total).toBe(99);
    expect((await list('q=fallback')).total).toBe(range(1, 299).filter((n) => n % 3 === 2).length);
    expect(numbers(await list('q=key_25&per_page=500'))).toEqual([25, ...range(250, 259)]);
  });

  it('matches LIKE wildcards literally', async () => {
    // "_1": key_1, key_1x, key_1xx; an unescaped _ would also match key_21, key_31, ...
    expect((await list('q=_1')).total).toBe(1 + 10 + 100);
    expect((await list('q=%25')).total).toBe(0);
    expect((await list(`q=${encodeURIComponent('\\')}`)).total).toBe(0);
  });
});

describe('GET /api/keys sorting', () => {
  it('sorts by use today, both ways, then by number', async () => {
    const desc = (await list('sort=used_today&order=desc&per_page=500')).keys;
    for (let i = 1; i < desc.length; i++)
      expect(desc[i - 1]!.used_today).toBeGreaterThanOrEqual(desc[i]!.used_today);
    const asc = (await list('sort=used_today&per_page=500')).keys;
    expect(asc.map((k) => k.name)).toEqual([...desc].reverse().map((k) => k.name));
  });

  it('puts never-used keys last by last use', async () => {
    const keys = (await list('sort=last_used_at&order=desc&per_page=500')).keys;
    const firstNull = keys.findIndex((k) => k.last_used_at === null);
    expect(keys.slice(firstNull).every((k) => k.last_used_at === null)).toBe(true);
    expect(keys.slice(0, firstNull).map((k) => k.number)).toEqual(range(1, 299).filter((n) => n % 5 !== 0));
  });

  it('sorts by status, usable first, and pages without overlap', async () => {
    const seen: Listed[] = [];
    for (let page = 1; page <= 5; page++)
      seen.push(...(await list(`sort=status&per_page=70&page=${page}`)).keys);
    expect(new Set(seen.map((k) => k.name)).size).toBe(299);
    const order = ['active', 'temporarily_blocked', 'exhausted', 'disabled'];
    const ranks = seen.map((k) => order.indexOf(k.status));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });
});

describe('GET /api/models', () => {
  it('lists every provider and model with a key, whatever its state, for the model filter', async () => {
    // A model whose only key is disabled: on no page of active keys, still a filter choice.
    await db('ai_api_keys').insert({
      account_id: accounts.primary,
      api_key_hash: 'f'.repeat(64),
      api_key_encrypted: 'not-an-envelope',
      key_name: 'key_50000',
      key_number: 50_000,
      model_name: 'gpt-legacy',
      daily_limit: 100_000,
      status: 'disabled',
      disabled_reason: 'by hand',
      disabled_kind: 'manual',
    });
    try {
      const res = await app.inject({ method: 'GET', url: '/api/models' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        models: [
          { provider: 'anthropic', model: 'claude-3-5-haiku', active: true, usable: true },
          { provider: 'openai', model: 'gpt-4o', active: true, usable: true },
          { provider: 'openai', model: 'gpt-4o-mini', active: true, usable: true },
          { provider: 'openai', model: 'gpt-legacy', active: false, usable: false },
        ],
      });
    } finally {
      await db('ai_api_keys').where({ key_number: 50_000 }).delete();
    }
  });
});

describe('GET /api/keys at 10,000 keys', () => {
  // Timings are printed, never asserted (a shared machine's load would decide the outcome); what is
  // asserted is that paging happens in SQL: consecutive pages follow each other in order without overlap.
  it('pages, searches and sorts 10,000 keys', async () => {
    await seedKeys(301, 10_000);
    await db.raw('ANALYZE ai_api_keys');
    const timings: Record<string, number> = {};
    for (const query of [
      'page=100',
      'q=gpt-4o-mini&sort=used_today&order=desc',
      'sort=status&page=150&per_page=50',
    ]) {
      await list(query);
      const started = performance.now();
      const page = await list(query);
      timings[query] = Math.round(performance.now() - started);
      expect(page.keys.length).toBe(50);
    }
    console.info('GET /api/keys at 10,000 keys (ms):', timings);
    const [before, at] = [(await list('page=99')).keys, (await list('page=100')).keys];
    const numbers = [...before, ...at].map((k) => k.number);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(numbers).size).toBe(100);
    expect((await list('')).total).toBe(9999);
  });
});
