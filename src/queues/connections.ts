import { Redis, type RedisOptions } from 'ioredis';

/**
 * BullMQ needs `maxRetriesPerRequest: null` on the connections its workers block on, and refuses a
 * client with `keyPrefix`; the lease engine and the usage stream get their own connection.
 */
export function createBullConnection(redisUrl: string, options: RedisOptions = {}): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/** A connection for our own scripts: fails fast instead of queueing commands forever while Redis is down. */
export function createCommandConnection(redisUrl: string, options: RedisOptions = {}): Redis {
  return new Redis(redisUrl, { maxRetriesPerRequest: 3, enableOfflineQueue: true, ...options });
}

/**
 * Workers rely on Redis keeping every key: a Redis that may evict (maxmemory-policy other than
 * noeviction) can silently drop jobs or lease state. Returns a warning to log, or null.
 */
export async function evictionWarning(redis: Redis): Promise<string | null> {
  try {
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    if (policy && policy !== 'noeviction') {
      return `Redis maxmemory-policy is "${policy}": Redis may evict jobs and lease state. Set maxmemory-policy noeviction.`;
    }
  } catch {
    // CONFIG may be disabled on managed Redis; then we cannot tell.
    return null;
  }
  return null;
}
