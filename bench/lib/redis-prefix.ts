import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A prefix of the bench's own (a hash tag), so a bench never touches real data. */
export function benchPrefix(name: string): string {
  return `{aikeys-bench-${name}-${randomBytes(4).toString('hex')}}`;
}

/** Deletes every key under `prefix` (SCAN + UNLINK; never FLUSHDB: other things share this Redis). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[[\]*?\\]/g, '\\$&')}*`;
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
