import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AikeysError } from '../../../src/core/errors.js';
import { isolate } from '../../setup/isolation.js';
import { buildApp, RecordingActions, setUp, type Fixture } from './fixtures.js';

const env = isolate('httpapi');
let f: Fixture;
let app: FastifyInstance;
let actions: RecordingActions;

beforeAll(async () => {
  f = await setUp(env);
  actions = new RecordingActions(f.db);
  app = await buildApp(f, { actions });
});

afterAll(async () => {
  await app?.close();
  await f?.close();
  await env.cleanup();
});

async function getJson(url: string) {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

describe('read routes', () => {
  it('GET /healthz answers ok', async () => {
    expect(await getJson('/healthz')).toEqual({ status: 200, body: { ok: true } });
  });

  it('GET /api/health counts keys by state from Postgres', async () => {
    const { status, body } = await getJson('/api/health');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      total_keys: 4,
      active_keys: 1,
      blocked_keys: 1,
      exhausted_keys: 1,
      disabled_keys: 1,
      accounts: 2,
      healthy: true,
      encryption_enabled: true,
      keys_sealed_by_other_master_key: 0,
      usage_rejects: 0,
    });
  });

  it('GET /api/accounts lists accounts with quota use', async () => {
    const { status, body } = await getJson('/api/accounts');
    expect(status).toBe(200);
    expect(body.accounts).toEqual([
      expect.objectContaining({
        name: 'Primary Account',
        provider: 'openai',
        priority: 1,
        status: 'active',
        active_keys: 1,
        total_keys: 2,
        used_today: 1510,
        daily_quota: 200000,
        remaining_quota: 198490,
      }),
      expect.objectContaining({
        name: 'Secondary Account (Fallback)',
        priority: 2,
        active_keys: 0,
        used_today: 100000,
        daily_quota: null,
        remaining_quota: null,
      }),
    ]);
  });

  it('GET /api/keys lists every key with its state and reason', async () => {
    const { status, body } = await getJson('/api/keys');
    expect(status).toBe(200);
    const keys = body.keys as Record<string, unknown>[];
    expect(keys.map((k) => [k.name, k.status])).toEqual([
      ['key_1', 'active'],
      ['key_2', 'temporarily_blocked'],
      ['key_3', 'exhausted'],
      ['key_4', 'disabled'],
    ]);
    expect(Object.keys(keys[0]!).sort()).toEqual(
      [
        'account',
        'account_id',
        'consecutive_failures',
        'daily_limit',
        'disabled_kind',
        'disabled_reason',
        'last_used_at',
        'max_concurrency',
        'model',
        'name',
        'number',
        'priority',
        'provider',
        'status',
        'temporary_block_until',
        'used_today',
      ].sort(),
    );
    expect(keys[1]!.temporary_block_until).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(keys[3]).toMatchObject({ disabled_reason: '3 consecutive failures', consecutive_failures: 3 });
    expect(keys[0]).toMatchObject({
      account: 'Primary Account',
      provider: 'openai',
      used_today: 1500,
      daily_limit: 100000,
    });
  });

  it('GET /api/keys filters by status and rejects an unknown one', async () => {
    const { body } = await getJson('/api/keys?status=exhausted');
    expect((body.keys as { name: string }[]).map((k) => k.name)).toEqual(['key_3']);
    const bad = await getJson('/api/keys?status=sleeping');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('status') },
    });
  });

  it('GET /api/settings lists every setting by its env name', async () => {
    const { status, body } = await getJson('/api/settings');
    expect(status).toBe(200);
    const system = Object.fromEntries(
      (body.system as { name: string; value: unknown }[]).map((e) => [e.name, e.value]),
    );
    expect(system).toMatchObject({
      AI_ENCRYPTION_KEY: 'configured',
      AI_DEFAULT_MODEL: 'gpt-4-turbo',
      AI_DAILY_QUOTA_PER_KEY: 100000,
      AI_CIRCUIT_BREAKER_THRESHOLD: 3,
    });
    const services = Object.fromEntries(
      (body.services as { name: string; value: unknown }[]).map((e) => [e.name, e.value]),
    );
    expect(services.DATABASE_URL).toBe('postgres://postgres:***@127.0.0.1:5432/aikeys');
    expect(services.REDIS_URL).toBe('redis://:***@127.0.0.1:6379');
    expect(services.AIKEYS_ADMIN_TOKEN).toBe('not configured');
    expect(services.HOST).toBe('127.0.0.1');
    expect(body.providers).toEqual([
      { name: 'anthropic', base_url: null, api: 'anthropic' },
      { name: 'openai', base_url: 'http://user:***@127.0.0.1:6556/v1?api_key=***', api: 'openai' },
    ]);
  });

  it('GET /api/usage aggregates the window per hour and per key', async () => {
    const { status, body } = await getJson('/api/usage?hours=24');
    expect(status).toBe(200);
    const hourly = body.hourly as { hour: string; requests: number; tokens: number; errors: number }[];
    expect(hourly).toHaveLength(24);
    expect(hourly[0]!.hour).toBe(body.since);
    expect(hourly.reduce((n, h) => n + h.requests, 0)).toBe(3);
    expect(hourly.reduce((n, h) => n + h.tokens, 0)).toBe(1500);
    expect(hourly.reduce((n, h) => n + h.errors, 0)).toBe(1);
    expect(hourly.at(-1)).toMatchObject({ requests: 1, tokens: 1000, errors: 0 });
    expect(body.by_key).toEqual([
      { key: 'key_1', provider: 'openai', requests: 2, tokens: 1500, cost: 0.0015, errors: 0 },
      { key: 'key_2', provider: 'openai', requests: 1, tokens: 0, cost: 0, errors: 1 },
    ]);
    const cells = body.by_hour_and_key as { key: string; tokens: number }[];
    expect(
      cells
        .filter((c) => c.key === 'key_1')
        .map((c) => c.tokens)
        .sort(),
    ).toEqual([1000, 500]);
  });

  it('GET /api/usage reaches further back when asked, and validates hours', async () => {
    const { body } = await getJson('/api/usage?hours=72');
    expect((body.hourly as unknown[]).length).toBe(72);
    expect((body.by_key as { key: string; tokens: number }[])[0]).toMatchObject({
      key: 'key_1',
      tokens: 9277,
    });
    for (const hours of ['0', '-1', 'abc', '100000', '1.5']) {
      const bad = await getJson(`/api/usage?hours=${hours}`);
      expect(bad.status, hours).toBe(400);
      expect((bad.body.error as { code: string }).code).toBe('VALIDATION_FAILED');
    }
  });

  it('an unknown route answers the JSON error shape', async () => {
    expect(await getJson('/api/nope')).toEqual({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'No route GET /api/nope' } },
    });
  });
});

describe('key actions', () => {
  async function post(url: string, payload?: object) {
    const res = await app.inject({ method: 'POST', url, ...(payload === undefined ? {} : { payload }) });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  }

  it('disable calls the actions with the reason and answers the key as Postgres has it', async () => {
    const res = await post('/api/keys/key_1/disable', { reason: 'leaked in a log' });
    expect(res.status).toBe(200);
    expect(actions.calls.at(-1)).toEqual({
      action: 'disable',
      name: 'key_1',
      options: { reason: 'leaked in a log' },
    });
    expect(res.body).toMatchObject({
      ok: true,
      action: 'disable',
      key: { name: 'key_1', status: 'disabled', disabled_reason: 'leaked in a log' },
    });
  });

  it('enable, block (with seconds) and unblock reach the actions', async () => {
    expect((await post('/api/keys/key_1/enable')).body).toMatchObject({ key: { status: 'active' } });
    expect((await post('/api/keys/key_1/block', { seconds: 600 })).status).toBe(200);
    expect((await post('/api/keys/key_2/unblock', {})).body).toMatchObject({
      key: { name: 'key_2', status: 'active' },
    });
    expect(actions.calls.slice(-3)).toEqual([
      { action: 'enable', name: 'key_1' },
      { action: 'block', name: 'key_1', options: { seconds: 600 } },
      { action: 'unblock', name: 'key_2' },
    ]);
  });

  it('refuses a block over AI_MAX_BLOCK_SECONDS, naming the limit and the setting', async () => {
    const before = actions.calls.length;
    const res = await post('/api/keys/key_1/block', { seconds: 86_401 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
    expect(JSON.stringify(res.body)).toContain('at most 86400 (AI_MAX_BLOCK_SECONDS)');
    expect(actions.calls.length).toBe(before);
    expect((await post('/api/keys/key_1/block', { seconds: 86_400 })).status).toBe(200);
  });

  it('disable without a reason leaves the reason to the actions (one default, key-actions.test.ts)', async () => {
    await post('/api/keys/key_3/disable');
    expect(actions.calls.at(-1)).toEqual({ action: 'disable', name: 'key_3', options: {} });
  });

  it('an unknown key is 404 and the actions are not called', async () => {
    const before = actions.calls.length;
    const res = await post('/api/keys/key_99/block', {});
    expect(res).toEqual({
      status: 404,
      body: {
        error: {
          code: 'KEY_NOT_FOUND',
          message: 'No key named key_99; list them with `aikeys keys` or GET /api/keys',
        },
      },
    });
    expect(actions.calls.length).toBe(before);
  });

  it('bad names and bodies are 400 and the actions are not called', async () => {
    const before = actions.calls.length;
    for (const [url, payload] of [
      ['/api/keys/root/block', {}],
      ['/api/keys/key_1/block', { seconds: -5 }],
      ['/api/keys/key_1/block', { seconds: 'soon' }],
      ['/api/keys/key_1/block', { until: 'never' }],
      ['/api/keys/key_1/disable', { reason: '' }],
    ] as const) {
      const res = await post(url, payload);
      expect(res.status, `${url} ${JSON.stringify(payload)}`).toBe(400);
      expect((res.body.error as { code: string }).code).toBe('VALIDATION_FAILED');
    }
    const badJson = await app.inject({
      method: 'POST',
      url: '/api/keys/key_1/block',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json()).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    expect(actions.calls.length).toBe(before);
  });

  it('reset-daily calls the actions and reports how many keys were reset', async () => {
    const res = await post('/api/reset-daily', {});
    expect(res).toEqual({ status: 200, body: { ok: true, action: 'reset-daily', keys_reset: 4 } });
    expect(actions.calls.at(-1)).toEqual({ action: 'resetDaily' });
  });

  it('an AikeysError from the actions keeps its code', async () => {
    const failing = await buildApp(f, {
      actions: {
        unblock: (name) => actions.unblock(name),
        disable: (name, options) => actions.disable(name, options),
        enable: (name) => actions.enable(name),
        block: async () => {
          throw new AikeysError('KEY_STATE_CONFLICT', 'key_1 is disabled; enable it first');
        },
        resetDaily: async () => {
          throw new Error('connection to 10.0.0.5 refused: internals');
        },
      },
    });
    try {
      const conflict = await failing.inject({ method: 'POST', url: '/api/keys/key_1/block', payload: {} });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json()).toEqual({
        error: { code: 'KEY_STATE_CONFLICT', message: 'key_1 is disabled; enable it first' },
      });
      const internal = await failing.inject({ method: 'POST', url: '/api/reset-daily', payload: {} });
      expect(internal.statusCode).toBe(500);
      expect(internal.json()).toEqual({ error: { code: 'INTERNAL_ERROR', message: expect.any(String) } });
      expect(internal.body).not.toContain('10.0.0.5');
    } finally {
      await failing.close();
    }
  });

  it('without actions every POST answers 503 in the JSON error shape', async () => {
    const bare = await buildApp(f);
    try {
      for (const url of [
        '/api/keys/key_1/block',
        '/api/keys/key_1/unblock',
        '/api/keys/key_1/disable',
        '/api/keys/key_1/enable',
        '/api/reset-daily',
      ]) {
        const res = await bare.inject({ method: 'POST', url, payload: {} });
        expect(res.statusCode, url).toBe(503);
        expect(res.json(), url).toEqual({
          error: { code: 'ACTIONS_UNAVAILABLE', message: expect.any(String) },
        });
      }
    } finally {
      await bare.close();
    }
  });
});
