/**
 * Per-test-file isolation on shared services: a database of its own (created on demand by the code
 * under test, dropped afterwards), a Redis key prefix of its own that is also the BullMQ prefix and
 * a Redis Cluster hash tag, and a queue name of its own. Files can then run in parallel.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { inject } from 'vitest';
import { deleteKeysWithPrefix } from '../../src/queues/delete-prefix.js';

export interface Isolated {
  readonly id: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** `{aikeys-t-<id>}`: every key of this test starts with it. */
  readonly prefix: string;
  readonly queueName: string;
  /** Env-style overrides that point a child process or `loadConfig` at this test's services. */
  readonly env: Readonly<Record<string, string>>;
  /** Deletes every Redis key under the prefix (what a lost Redis looks like to this test). */
  flushRedis(): Promise<number>;
  cleanup(): Promise<void>;
}

export function testDatabaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function deleteByPrefix(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    return await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export function isolate(label = 't'): Isolated {
  const adminUrl = inject('adminDatabaseUrl');
  const redisUrl = inject('redisUrl');
  const id = `${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 12)}_${randomBytes(5).toString('hex')}`;
  const dbName = `aikeys_test_${id}`;
  const databaseUrl = testDatabaseUrl(adminUrl, dbName);
  const prefix = `{aikeys-t-${id}}`;
  const queueName = `ai-jobs-${id}`;
  return {
    id,
    databaseUrl,
    redisUrl,
    prefix,
    queueName,
    env: { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, AIKEYS_PREFIX: prefix, AIKEYS_QUEUE: queueName },
    flushRedis: () => deleteByPrefix(redisUrl, prefix),
    async cleanup() {
      await deleteByPrefix(redisUrl, prefix);
      await dropDatabase(adminUrl, dbName);
    },
  };
}
