import type { Redis } from 'ioredis';
import { isCluster } from './connections.js';

/**
 * SCAN + UNLINK on one node. `oneByOne` on a Cluster node: keys of different prefixes may sit in
 * different slots, and one UNLINK must not name two.
 */
async function deleteOnNode(node: Redis, pattern: string, oneByOne: boolean): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (oneByOne) for (const key of keys) deleted += await node.unlink(key);
    else if (keys.length) deleted += await node.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/**
 * Deletes every Redis key under a prefix (SCAN + UNLINK, never FLUSHDB: other things may share the
 * Redis); on a Cluster, on every primary. Returns how many.
 */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  // Braces are glob-literal; only [ ] * ? \ need escaping.
  const pattern = `${prefix.replace(/[[\]*?\\]/g, '\\$&')}*`;
  if (!isCluster(redis)) return deleteOnNode(redis, pattern, false);
  const nodes = (redis as unknown as { nodes(role: 'master'): Redis[] }).nodes('master');
  let deleted = 0;
  for (const node of nodes) deleted += await deleteOnNode(node, pattern, true);
  return deleted;
}
