/**
 * The admin API over the real key actions (lease/key-actions.ts), key pool, Redis and Postgres: the
 * same actions the CLI runs, so the API recovers where the CLI does.
 */
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../../../src/crypto/key-ring.js';
import { createKeyActions, DEFAULT_DISABLE_REASON } from '../../../src/lease/key-actions.js';
import { createKeyPool, type KeyPool } from '../../../src/lease/key-pool.js';
import { findKeyByName } from '../../../src/store/keys.js';
import { isolate } from '../../setup/isolation.js';
import { connectRedis, createEngine } from '../lease/fixtures.js';
import { buildApp, setUp, type Fixture } from './fixtures.js';

const env = isolate('httpkeyact');
let f: Fixture;
let redis: Redis;
let pool: KeyPool;
let app: FastifyInstance;

beforeAll(async () => {
  f = await setUp(env);
  redis = connectRedis(env.redisUrl);
  pool = createKeyPool({
    db: f.db,
    engine: createEngine(redis, f.db, env.prefix),
    ring: KeyRing.fromSecrets(f.masterKey),
  });
  const actions = createKeyActions({ db: f.db, pool, defaultBlockSeconds: 1800 });
  app = await buildApp(f, { actions });
  await pool.hydrate();
});

afterAll(async () => {
  await app.close();
  await pool.close();
  redis.disconnect();
  await f.close();
  await env.cleanup();
});

async function post(url: string, payload: object = {}) {
  const res = await app.inject({ method: 'POST', url, payload });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

/** A key added to Postgres after the lease state was built, as an import without a hydrate leaves it. */
async function addKeyBehindTheLeaseState(): Promise<string> {
  const row = await f.db('ai_api_keys').where({ key_name: 'key_1' }).first();
  const { key_id: _id, ...copy } = row as Record<string, unknown>;
  await f.db('ai_api_keys').insert({
    ...copy,
    key_name: 'key_5',
    key_number: 5,
    api_key_hash: 'f'.repeat(64),
    status: 'active',
    used_today: 0,
  });
  return 'key_5';
}

describe('key actions over the admin API', () => {
  it('blocks a key that is in Postgres but not yet in the lease state (merged in, not a 500)', async () => {
    const name = await addKeyBehindTheLeaseState();
    const { keyId } = (await findKeyByName(f.db, name))!;
    expect(await createEngine(redis, f.db, env.prefix).keyStates([keyId])).toEqual([]);

    const res = await post(`/api/keys/${name}/block`, { seconds: 60 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ ok: true, key: { name, status: 'temporarily_blocked' } });
    const [state] = await createEngine(redis, f.db, env.prefix).keyStates([keyId]);
    expect(state).toMatchObject({ keyId, status: 'temporarily_blocked' });
  });

  it('disable without a reason stores the one default reason', async () => {
    const res = await post('/api/keys/key_1/disable');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ key: { status: 'disabled', disabled_reason: DEFAULT_DISABLE_REASON } });
    expect((await findKeyByName(f.db, 'key_1'))!.disabledReason).toBe(DEFAULT_DISABLE_REASON);
  });

  it('an unknown key is 404 KEY_NOT_FOUND', async () => {
    expect(await post('/api/keys/key_99/enable')).toEqual({
      status: 404,
      body: {
        error: {
          code: 'KEY_NOT_FOUND',
          message: 'No key named key_99; list them with `aikeys keys` or GET /api/keys',
        },
      },
    });
  });
});
