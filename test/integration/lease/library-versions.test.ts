/**
 * Lease library versions on one Redis (a server of the test's own, since FUNCTION names are
 * server-wide): a caller's first load deletes the other versions' libraries, a later load of the
 * same caller deletes nothing, so two versions side by side never take turns deleting each other.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScriptCaller, leaseLibrary } from '../../../src/lease/script-loader.js';
import { startPrivateRedis, type PrivateRedis } from '../../e2e/support/private-redis.js';

let server: PrivateRedis;
let redis: Redis;

beforeAll(async () => {
  server = await startPrivateRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: 3 });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.destroy();
});

const OLDER = 'aikeys_lease_00000000deadbeef';
const UNRELATED = 'other_library';
const minimal = (name: string) =>
  `#!lua name=${name}\nredis.register_function('${name}_noop', function() return 1 end)`;

async function libraries(): Promise<string[]> {
  const listed = (await redis.call('FUNCTION', 'LIST')) as unknown[][];
  return listed.map((entry) => String(entry[entry.indexOf('library_name') + 1])).sort();
}

/** One cheap call of the library (removes no mark: the hash is empty). */
const callOnce = (caller: ReturnType<typeof createScriptCaller>) =>
  caller.call('forget-written', ['{t}:marks'], ['key:1', '1']);

describe('lease library versions', () => {
  it("a caller's first load deletes other versions' libraries, and only those; its later loads delete nothing", async () => {
    await redis.call('FUNCTION', 'LOAD', 'REPLACE', minimal(OLDER));
    await redis.call('FUNCTION', 'LOAD', 'REPLACE', minimal(UNRELATED));
    const caller = createScriptCaller(redis);

    expect(await callOnce(caller)).toBe(0);
    expect(await libraries()).toEqual([leaseLibrary().name, UNRELATED].sort());

    // The older version is back (a replica still running it loaded it again) and ours was flushed:
    // our reload leaves the older one alone.
    await redis.call('FUNCTION', 'LOAD', 'REPLACE', minimal(OLDER));
    await redis.call('FUNCTION', 'DELETE', leaseLibrary().name);
    expect(await callOnce(caller)).toBe(0);
    expect(await libraries()).toEqual([leaseLibrary().name, OLDER, UNRELATED].sort());
  });
});
