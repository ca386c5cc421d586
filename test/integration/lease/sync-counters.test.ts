/**
 * The counter sync over a pool larger than one Redis read: every key's counters are compared and the
 * trailing rows written whichever MGET read them, and no MGET carries more than KEY_READ_CHUNK keys
 * (one command holding Redis for a whole pool would stall every lease behind it).
 */
import type { Command, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { KEY_READ_CHUNK, type LeaseEngine } from '../../../src/lease/engine.js';
import { createKeyWrites, type KeyWrites } from '../../../src/lease/key-writes.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { asPoolWrite } from '../../../src/store/pool-origin.js';
import { isolate } from '../../setup/isolation.js';
import { connectRedis, createEngine, SEEDED_LAST_USE, seedKeys } from './fixtures.js';

const KEYS = 2 * KEY_READ_CHUNK + 500;
const env = isolate('lease-sync');
let db: Db;
let redis: Redis;
let engine: LeaseEngine;
let writes: KeyWrites;
let keyIds: number[];

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = connectRedis(env.redisUrl);
  keyIds = (
    await seedKeys(
      db,
      Array.from({ length: KEYS }, (_, i) => ({ usedToday: i })),
    )
  ).keyIds;
  engine = createEngine(redis, db, env.prefix);
  await engine.hydrate();
  writes = createKeyWrites({ db, engine, logger: silentLogger });
}, 60_000);

afterAll(async () => {
  redis.disconnect();
  await db.destroy();
  await env.cleanup();
});

/** The number of keys in each MGET `redis` sends while `run` runs. */
async function mgetSizes(run: () => Promise<unknown>): Promise<number[]> {
  const sizes: number[] = [];
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command: Command, ...rest) => {
    if (command.name === 'mget') sizes.push(command.args.length);
    return send(command, ...rest);
  };
  try {
    await run();
  } finally {
    redis.sendCommand = send;
  }
  return sizes;
}

const row = (keyId: number) =>
  db('ai_api_keys')
    .where('key_id', keyId)
    .first<{ used_today: number; last_used_at: Date | null }>('used_today', 'last_used_at');

describe('syncCounters on a pool of more keys than one read takes', () => {
  it('reads the counters in bounded MGETs, the same values keyStates reads, absent keys left out', async () => {
    const absent = Math.max(...keyIds) + 1000;
    const ids = [...keyIds.slice(0, KEY_READ_CHUNK), absent, ...keyIds.slice(KEY_READ_CHUNK)];
    let counters: Awaited<ReturnType<LeaseEngine['keyCounters']>> = [];
    const sizes = await mgetSizes(async () => (counters = await engine.keyCounters(ids)));
    expect(sizes).toEqual([KEY_READ_CHUNK, KEY_READ_CHUNK, KEYS + 1 - 2 * KEY_READ_CHUNK]);
    const states = await engine.keyStates(ids);
    expect(counters).toEqual(
      states.map(({ keyId, usedToday, consecutiveFailures, lastUsedAtMs }) => ({
        keyId,
        usedToday,
        consecutiveFailures,
        lastUsedAtMs,
      })),
    );
    expect(counters.map((c) => c.keyId)).toEqual(keyIds);
    expect(counters[KEYS - 1]).toMatchObject({
      usedToday: KEYS - 1,
      lastUsedAtMs: SEEDED_LAST_USE.getTime(),
    });
  });

  it('writes the trailing keys of every read, and nothing once Postgres has caught up', async () => {
    expect(await writes.syncCounters()).toBe(0);
    // Postgres behind Redis, as a replica that died before its flush leaves it: in the first, second
    // and last read, by used_today or by last use alone. Marked as the pool's own write, so the edit
    // triggers take it for Redis's values, not an operator's.
    const [first, second, last] = [keyIds[3]!, keyIds[KEY_READ_CHUNK + 7]!, keyIds[KEYS - 1]!];
    await asPoolWrite(db, async (trx) => {
      await trx('ai_api_keys').whereIn('key_id', [first, second]).update({ used_today: 0 });
      await trx('ai_api_keys').where('key_id', last).update({ last_used_at: null });
    });
    let written = 0;
    const sizes = await mgetSizes(async () => (written = await writes.syncCounters()));
    expect(written).toBe(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(KEY_READ_CHUNK);
    expect((await row(first))!.used_today).toBe(3);
    expect((await row(second))!.used_today).toBe(KEY_READ_CHUNK + 7);
    expect(await row(last)).toEqual({ used_today: KEYS - 1, last_used_at: SEEDED_LAST_USE });
    expect(await writes.syncCounters()).toBe(0);
  });
});
