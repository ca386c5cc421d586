import type { Redis } from 'ioredis';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyPool, type KeyPool } from '../../../src/lease/key-pool.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { isolate } from '../../setup/isolation.js';
import { connectRedis, createEngine, seedKeys, type Seeded } from './fixtures.js';

const env = isolate('lease-pool');
let db: Db;
let redis: Redis;
let pool: KeyPool;
let seeded: Seeded;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = connectRedis(env.redisUrl);
  seeded = await seedKeys(db, [{ usedToday: 5 }, { usedToday: 0 }, { priority: 2 }]);
  const engine = createEngine(redis, db, env.prefix);
  pool = createKeyPool({ db, engine, ring: seeded.ring, counterFlushMs: 60_000 });
  await pool.hydrate();
});

afterAll(async () => {
  await pool.close();
  redis.disconnect();
  await db.destroy();
  await env.cleanup();
});

const row = (keyId: number) => db('ai_api_keys').where('key_id', keyId).first();

describe('KeyPool', () => {
  it('selects the best key and decrypts it only then, masked when printed', async () => {
    const picked = await pool.lease({ provider: 'openai', model: 'gpt-4-turbo', estimatedTokens: 10 });
    if (!picked.ok) throw new Error('no key');
    const id = seeded.keyIds[1]!;
    expect(picked.key).toMatchObject({
      keyId: id,
      keyName: 'key_2',
      model: 'gpt-4-turbo',
      provider: 'openai',
    });
    expect(picked.key.secret.reveal()).toBe(seeded.secrets.get(id));
    expect(inspect(picked.key)).not.toContain(seeded.secrets.get(id));
    expect(JSON.stringify(picked.key)).not.toContain(seeded.secrets.get(id));
    await pool.release(picked.key, { kind: 'success', tokens: 42 });
    expect((await row(id)).used_today).toBe(0);
    await pool.flush();
    expect(await row(id)).toMatchObject({ used_today: 42, consecutive_failures: 0 });
    expect((await row(id)).last_used_at).toBeInstanceOf(Date);
  });

  it('writes status changes to Postgres at once', async () => {
    const picked = await pool.lease({ provider: 'openai', estimatedTokens: 0 });
    if (!picked.ok) throw new Error('no key');
    await pool.release(picked.key, { kind: 'auth_failed', status: 401 });
    expect(await row(picked.key.keyId)).toMatchObject({
      status: 'disabled',
      disabled_kind: 'invalid_key',
      disabled_reason: 'invalid key (HTTP 401)',
    });
    const other = seeded.keyIds.find((id) => id !== picked.key.keyId && id !== seeded.keyIds[2])!;
    await pool.block(other, 60);
    expect((await row(other)).status).toBe('temporarily_blocked');
    expect((await row(other)).temporary_block_until.getTime()).toBeGreaterThan(Date.now() + 50_000);
    await pool.unblock(other);
    expect(await row(other)).toMatchObject({ status: 'active', temporary_block_until: null });
    await pool.disable(other, 'rotating');
    expect(await row(other)).toMatchObject({
      status: 'disabled',
      disabled_kind: 'manual',
      disabled_reason: 'rotating',
    });
    await pool.enable(other);
    await pool.enable(picked.key.keyId);
    expect(await row(picked.key.keyId)).toMatchObject({
      status: 'active',
      disabled_kind: null,
      disabled_reason: null,
    });
  });

  it('reset-daily zeroes usage in Redis and Postgres', async () => {
    expect(await pool.resetDaily()).toBe(3);
    expect(await db('ai_api_keys').sum('used_today as s').first()).toMatchObject({ s: 0 });
    const [state] = await createEngine(redis, db, env.prefix).keyStates([seeded.keyIds[1]!]);
    expect(state!.usedToday).toBe(0);
  });
});

describe('KeyPool counters a replica died before writing', () => {
  it('reach Postgres at the next unblock-expired run of any replica, and at any graceful stop', async () => {
    // The dying replica writes counters a minute after a release: it never gets to.
    const dying = createKeyPool({
      db,
      engine: createEngine(redis, db, env.prefix),
      ring: seeded.ring,
      counterFlushMs: 60_000,
    });
    const leased = await dying.lease({ provider: 'openai', estimatedTokens: 1 });
    if (!leased.ok) throw new Error('expected a key');
    const keyId = leased.key.keyId;
    const before = Number((await row(keyId)).used_today);
    await dying.release(leased.key, { kind: 'success', tokens: 47 });
    expect(Number((await row(keyId)).used_today)).toBe(before); // only Redis has it: "killed" here

    // Another replica that never used the key brings it over.
    const other = createKeyPool({
      db,
      engine: createEngine(redis, db, env.prefix),
      ring: seeded.ring,
      counterFlushMs: 60_000,
    });
    await other.unblockExpired();
    expect(Number((await row(keyId)).used_today)).toBe(before + 47);

    // And a graceful stop does the same for whatever still trails.
    const again = await dying.lease({ provider: 'openai', estimatedTokens: 1, excludeKeyIds: [] });
    if (!again.ok) throw new Error('expected a key');
    const againBefore = Number((await row(again.key.keyId)).used_today);
    await dying.release(again.key, { kind: 'success', tokens: 3 });
    await other.close();
    expect(Number((await row(again.key.keyId)).used_today)).toBe(againBefore + 3);
  });
});

describe('KeyPool state during a Postgres outage', () => {
  it('keeps the counters and status changes it could not write and writes them once Postgres is back', async () => {
    const { startTcpProxy } = await import('../../setup/tcp-proxy.js');
    const { createDb } = await import('../../../src/store/database.js');
    const target = new URL(env.databaseUrl);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const viaProxy = createDb(proxy.via(env.databaseUrl), { poolMax: 2 });
    const outagePool = createKeyPool({
      db: viaProxy,
      engine: createEngine(redis, db, env.prefix),
      ring: seeded.ring,
      counterFlushMs: 60_000,
    });
    try {
      const picked = await outagePool.lease({ provider: 'openai', estimatedTokens: 1 });
      if (!picked.ok) throw new Error('no key');
      const before = (await row(picked.key.keyId)).used_today as number;
      await proxy.cut();
      await outagePool.release(picked.key, { kind: 'success', tokens: 77 });
      await outagePool.flush(); // fails: Postgres is unreachable through the proxy
      expect((await row(picked.key.keyId)).used_today).toBe(before);
      await proxy.restore();
      await outagePool.flush();
      expect((await row(picked.key.keyId)).used_today).toBe(before + 77);

      const failing = await outagePool.lease({ provider: 'openai', estimatedTokens: 1 });
      if (!failing.ok) throw new Error('no key');
      await proxy.cut();
      const released = await outagePool.release(failing.key, { kind: 'auth_failed', status: 401 });
      expect(released).toMatchObject({ released: true, statusChanged: true });
      expect((await row(failing.key.keyId)).status).toBe('active');
      await proxy.restore();
      await outagePool.flush();
      expect(await row(failing.key.keyId)).toMatchObject({
        status: 'disabled',
        disabled_reason: 'invalid key (HTTP 401)',
      });
    } finally {
      await outagePool.close();
      await viaProxy.destroy();
      await proxy.close();
    }
  });

  it('leaves what it could not write when it stops, and the next replica writes it', async () => {
    const { startTcpProxy } = await import('../../setup/tcp-proxy.js');
    const { createDb } = await import('../../../src/store/database.js');
    for (const id of seeded.keyIds) await pool.enable(id);
    const engine = createEngine(redis, db, env.prefix);
    const target = new URL(env.databaseUrl);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const viaProxy = createDb(proxy.via(env.databaseUrl), { poolMax: 2 });
    const stopping = createKeyPool({ db: viaProxy, engine, ring: seeded.ring, counterFlushMs: 60_000 });
    try {
      // A large reservation on the first key makes the second lease take the other primary key.
      const counted = await stopping.lease({ provider: 'openai', estimatedTokens: 100_000 });
      const failing = await stopping.lease({ provider: 'openai', estimatedTokens: 1 });
      if (!counted.ok || !failing.ok) throw new Error('no key');
      expect(failing.key.keyId).not.toBe(counted.key.keyId);
      const usedBefore = (await row(counted.key.keyId)).used_today as number;
      await proxy.cut();
      await stopping.release(counted.key, { kind: 'success', tokens: 55 });
      await stopping.release(failing.key, { kind: 'auth_failed', status: 401 });
      await stopping.close(); // its last flush fails too: Postgres is unreachable through the proxy

      const marks = await engine.unwritten.read();
      expect([...marks.states.keys()]).toEqual([failing.key.keyId]);
      expect([...marks.counters.keys()]).toEqual([counted.key.keyId]);
      expect((await row(failing.key.keyId)).status).toBe('active');

      // Another replica, with no traffic of its own, writes them at its first flush.
      const next = createKeyPool({ db, engine: createEngine(redis, db, env.prefix), ring: seeded.ring });
      await next.flush();
      await next.close();
      expect((await row(counted.key.keyId)).used_today).toBe(usedBefore + 55);
      expect(await row(failing.key.keyId)).toMatchObject({
        status: 'disabled',
        disabled_reason: 'invalid key (HTTP 401)',
      });
      expect(await engine.unwritten.read()).toEqual({ states: new Map(), counters: new Map() });
    } finally {
      await viaProxy.destroy();
      await proxy.close();
    }
  });
});
