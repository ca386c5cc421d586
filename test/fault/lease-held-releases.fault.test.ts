/**
 * Releases that cannot reach Redis are held and delivered once it is back: a private redis-server
 * is stopped between the provider calls and their releases, then started again (same data).
 */
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyPool, type KeyPool } from '../../src/lease/key-pool.js';
import type { LeasedKey } from '../../src/lease/types.js';
import { createCommandConnection } from '../../src/queues/connections.js';
import { openDatabase, type Db } from '../../src/store/database.js';
import { usageStreamKey } from '../../src/usage/usage-stream.js';
import { startPrivateRedis, type PrivateRedis } from '../e2e/support/private-redis.js';
import { createEngine, seedKeys, type Seeded } from '../integration/lease/fixtures.js';
import { isolate } from '../setup/isolation.js';

const env = isolate('lease-held');
let db: Db;
let server: PrivateRedis;
let redis: Redis;
let seeded: Seeded;
const logs: { msg: string; undelivered?: number }[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  server = await startPrivateRedis();
  // The production connection's settings: commands fail after a few reconnect attempts.
  redis = createCommandConnection(server.url);
  redis.on('error', () => undefined); // refused connections while the server is stopped, by design
  seeded = await seedKeys(db, [{}]);
});

afterAll(async () => {
  redis.disconnect();
  await server.destroy();
  await db.destroy();
  await env.cleanup();
});

function poolOf(exitMs: number): KeyPool {
  const engine = createEngine(redis, db, env.prefix);
  return createKeyPool({
    db,
    engine,
    ring: seeded.ring,
    logger,
    counterFlushMs: 60_000,
    heldReleasesRetryMs: 50,
    heldReleasesExitMs: exitMs,
  });
}

async function pick(pool: KeyPool): Promise<LeasedKey> {
  const picked = await pool.lease({ provider: 'openai', estimatedTokens: 10 });
  if (!picked.ok) throw new Error(`no key: ${picked.reason}`);
  return picked.key;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('releases while Redis cannot be reached', () => {
  it('are held, then applied in order once Redis is back: records in the stream, the key counted once', async () => {
    const pool = poolOf(5000);
    await pool.hydrate();
    const stream = usageStreamKey(env.prefix);
    const failed = await pick(pool);
    const served = await pick(pool);
    await server.stop();

    const append = (entry: string) => ({ stream, entry });
    expect(await pool.release(failed, { kind: 'server_error', status: 500 }, append('failed'))).toEqual({
      released: false,
      reason: 'held',
    });
    expect(await pool.release(served, { kind: 'success', tokens: 42 }, append('served'))).toEqual({
      released: false,
      reason: 'held',
    });
    expect(pool.heldReleases).toBe(2);

    await server.start();
    await until(() => pool.heldReleases === 0);
    expect((await redis.xrange(stream, '-', '+')).map(([, f]) => f)).toEqual([
      ['r', 'failed'],
      ['r', 'served'],
    ]);
    const [state] = await createEngine(redis, db, env.prefix).keyStates([seeded.keyIds[0]!]);
    // In order: the failure, then the success that clears it.
    expect(state).toMatchObject({
      usedToday: 42,
      reserved: 0,
      inflight: 0,
      consecutiveFailures: 0,
      proven: true,
    });
    await pool.close();
    expect(logs.some((l) => l.msg.startsWith('releases held while Redis could not be reached'))).toBe(false);
  }, 60_000);

  it('at shutdown are tried until the deadline, and what is left is counted in the log', async () => {
    const pool = poolOf(300);
    const key = await pick(pool);
    await server.stop();
    try {
      expect(await pool.release(key, { kind: 'success', tokens: 5 })).toEqual({
        released: false,
        reason: 'held',
      });
      await pool.close();
      expect(
        logs.find((l) => l.msg.startsWith('releases held while Redis could not be reached')),
      ).toMatchObject({
        undelivered: 1,
      });
    } finally {
      await server.start();
    }
  }, 60_000);
});
