/**
 * Redis loses the lease state in the middle of a run (the test deletes every key under its prefix,
 * as a restart without persistence would). The workers notice (the scripts report the missing
 * state), one of them rebuilds it from Postgres, and leasing goes on under the same rules.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyPool } from '../../src/lease/key-pool.js';
import type { KeyHotState } from '../../src/lease/types.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { isolate } from '../setup/isolation.js';
import {
  connectRedis,
  createEngine,
  seedKeys,
  TEST_SETTINGS,
  type KeySpec,
} from '../integration/lease/fixtures.js';
import type { GrantEvent } from '../integration/lease/lease-worker.js';
import { allDone, readEvents, spawnWorker, startWhenReady } from '../integration/lease/processes.js';
import { replay, type KeyRules } from '../integration/lease/replay.js';

const env = isolate('lease-flush');

/**
 * Deletes every key under the prefix in one DEL, so the loss is atomic as a Redis restart is (a
 * SCAN+UNLINK loop racing live traffic would leave half a state, which no real outage produces).
 */
async function loseState(r: Redis, prefix: string): Promise<number> {
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, found] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    found.forEach((n) => names.add(n));
  } while (cursor !== '0');
  return r.del(...names);
}
let db: Db;
let redis: Redis;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = connectRedis(env.redisUrl);
});

afterAll(async () => {
  redis.disconnect();
  await db.destroy();
  await env.cleanup();
});

const SPECS: KeySpec[] = [
  { maxConcurrency: 1, dailyLimit: 1_000_000 },
  { maxConcurrency: 2, dailyLimit: 1_000_000 },
  { maxConcurrency: 3, dailyLimit: 1_000_000 },
  { priority: 2, dailyLimit: 1_000_000 },
];

describe('Redis flushed mid-run', () => {
  it('rebuilds the state from Postgres and keeps leasing correctly', async () => {
    const seeded = await seedKeys(db, SPECS);
    const engine = createEngine(redis, db, env.prefix);
    await createKeyPool({ db, engine, ring: seeded.ring }).hydrate();
    const firstGen = await redis.hget(engine.keys.meta, 'gen');
    const files = [0, 1].map((i) => join(tmpdir(), `aikeys-${env.id}-${i}.json`));
    const workers = files.map((out) =>
      spawnWorker({
        redisUrl: env.redisUrl,
        databaseUrl: env.databaseUrl,
        prefix: env.prefix,
        masterKey: seeded.ring.primary.bytes.toString('base64'),
        settings: TEST_SETTINGS,
        callers: 8,
        rounds: 150,
        out,
      }),
    );
    await startWhenReady(redis, env.prefix, workers);
    while (Number((await redis.hget(engine.keys.meta, 'seq')) ?? 0) < 600) {
      const dead = workers.find((w) => w.exited());
      if (dead) await dead.done;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await loseState(redis, env.prefix)).toBeGreaterThan(0);
    await allDone(workers);

    const events = readEvents(files);
    const gen = await redis.hget(engine.keys.meta, 'gen');
    expect(gen).not.toBe(firstGen);
    const grants = events.filter((e): e is GrantEvent => e.t === 'grant');
    const after = grants.filter((g) => g.leaseId.startsWith(`${gen}-`));
    expect(after.length).toBeGreaterThan(200);
    expect(await redis.hget(engine.keys.meta, 'violations')).toBe('0');

    // Within the rebuilt generation the rules held, starting from what Postgres had at the rebuild.
    const rules = new Map<number, KeyRules>();
    seeded.keyIds.forEach((id, i) => {
      const first = after.filter((g) => g.keyId === id).sort((a, b) => a.seq - b.seq)[0];
      rules.set(id, {
        cap: SPECS[i]!.maxConcurrency ?? null,
        limit: SPECS[i]!.dailyLimit!,
        initialUsed: first ? first.committed - first.estimate : 0,
      });
    });
    expect(replay(events, rules, gen!).violations).toEqual([]);

    // Nothing left reserved or in flight; Postgres converged to Redis; nothing counted twice.
    const rows = await db('ai_api_keys').select('key_id', 'used_today');
    for (const id of seeded.keyIds) {
      const [{ usedToday: used, reserved, inflight }] = (await engine.keyStates([id])) as [KeyHotState];
      expect({ id, reserved, inflight }).toEqual({ id, reserved: 0, inflight: 0 });
      expect(rows.find((r) => r.key_id === id)!.used_today).toBe(used);
      const spent = events.reduce(
        (sum, e) => sum + (e.t === 'release' && e.released && e.keyId === id ? e.tokens : 0),
        0,
      );
      expect(used).toBeLessThanOrEqual(spent);
    }
  }, 150_000);
});
