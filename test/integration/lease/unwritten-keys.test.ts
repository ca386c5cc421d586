import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LeaseEngine } from '../../../src/lease/engine.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { isolate } from '../../setup/isolation.js';
import { connectRedis, createEngine } from './fixtures.js';

const env = isolate('lease-unwritten');
let db: Db;
let redis: Redis;
let engine: LeaseEngine;

beforeAll(async () => {
  db = await openDatabase(env.databaseUrl);
  redis = connectRedis(env.redisUrl);
  engine = createEngine(redis, db, env.prefix);
});

afterAll(async () => {
  redis.disconnect();
  await db.destroy();
  await env.cleanup();
});

beforeEach(() => env.flushRedis());

describe('unwritten key marks', () => {
  it('counts a mark per key and kind', async () => {
    await engine.unwritten.mark('states', [3]);
    await engine.unwritten.mark('counters', [3, 4]);
    await engine.unwritten.mark('counters', [4]);
    expect(await engine.unwritten.read()).toEqual({
      states: new Map([[3, '1']]),
      counters: new Map([
        [3, '1'],
        [4, '2'],
      ]),
    });
  });

  it('forgets only the marks nobody renewed after they were read', async () => {
    await engine.unwritten.mark('states', [1, 2]);
    await engine.unwritten.mark('counters', [1]);
    const read = await engine.unwritten.read();
    // Another replica marks key 2 again while this one writes what it read.
    await engine.unwritten.mark('states', [2]);
    expect(await engine.unwritten.forget(read)).toBe(2);
    expect(await engine.unwritten.read()).toEqual({ states: new Map([[2, '2']]), counters: new Map() });
    expect(await engine.unwritten.forget(await engine.unwritten.read())).toBe(1);
    expect(await engine.unwritten.read()).toEqual({ states: new Map(), counters: new Map() });
  });
});
