import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * How to reach Redis: REDIS_URL, and whether it names one node of a Redis Cluster
 * (AIKEYS_REDIS_CLUSTER), from which the client finds the others.
 */
export interface RedisTarget {
  readonly cluster?: boolean;
}

/**
 * A Redis Cluster client behind the `Redis` type. ioredis' Cluster has the same command methods
 * (it routes each command by its key's slot), so the lease engine, the usage stream and BullMQ
 * (which detects a Cluster itself) use it unchanged: every key of a deployment carries its prefix's
 * hash tag, so one deployment lives in one slot and its scripts and MULTIs never cross slots. The
 * few node-level operations (SCAN in deleteKeysWithPrefix, the script loader's FUNCTION LOAD on
 * every primary) check for a Cluster or avoid node state.
 */
function clusterClient(redisUrl: string, options: RedisOptions): Redis {
  const url = new URL(redisUrl);
  const redisOptions: RedisOptions = {
    ...options,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  const cluster = new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
    redisOptions,
    // Commands wait in the offline queue while the slot map is (re)loaded, as on a single node.
    enableOfflineQueue: options.enableOfflineQueue ?? true,
    enableReadyCheck: true,
    ...(options.maxRetriesPerRequest !== undefined
      ? { maxRetriesPerRequest: options.maxRetriesPerRequest }
      : {}),
  });
  return cluster as unknown as Redis;
}

function connect(redisUrl: string, options: RedisOptions, target: RedisTarget): Redis {
  return target.cluster ? clusterClient(redisUrl, options) : new Redis(redisUrl, options);
}

export function isCluster(redis: Redis): boolean {
  return (redis as unknown) instanceof Cluster;
}

/**
 * BullMQ needs `maxRetriesPerRequest: null` on the connections its workers block on, and refuses a
 * client with `keyPrefix`; the lease engine and the usage stream get their own connection.
 */
export function createBullConnection(
  redisUrl: string,
  options: RedisOptions = {},
  target: RedisTarget = {},
): Redis {
  return connect(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options }, target);
}

/** A connection for our own scripts: fails fast instead of queueing commands forever while Redis is down. */
export function createCommandConnection(
  redisUrl: string,
  options: RedisOptions = {},
  target: RedisTarget = {},
): Redis {
  return connect(redisUrl, { maxRetriesPerRequest: 3, enableOfflineQueue: true, ...options }, target);
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
