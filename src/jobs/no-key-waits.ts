import type { Redis } from 'ioredis';
import type { NoKeyWaits } from './ports.js';

/**
 * Remembers when each waiting job first found no key, in Redis so it survives the job's delays and
 * moves between workers. `keepMs` is read per mark: it follows AI_NO_KEY_WAIT_MS when that changes.
 */
export function createNoKeyWaits(redis: Redis, prefix: string, keepMs: number | (() => number)): NoKeyWaits {
  const keep = typeof keepMs === 'number' ? () => keepMs : keepMs;
  const keyOf = (jobId: string) => `${prefix}:jobs:v1:no-key-since:${jobId}`;
  return {
    async since(jobId, now) {
      const key = keyOf(jobId);
      const results = await redis.multi().set(key, String(now), 'PX', keep(), 'NX').get(key).exec();
      const value = results?.[1]?.[1] as string | null | undefined;
      return value == null ? now : Number(value);
    },
    async clear(jobId) {
      await redis.del(keyOf(jobId));
    },
  };
}
