import type { Redis } from 'ioredis';
import { isCluster } from './connections.js';

async function deleteOnNode(node: Redis, pattern: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    // One by one on a Cluster node: keys of different prefixes may sit in different slots.
    for (const key of keys) deleted += await node.unlink(key);
  } while (cursor !== '0');
  return deleted;
}

/** Deletes every Redis key under a prefix (SCAN + UNLINK); on a Cluster, on every primary. Returns how many. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  const pattern = `${prefix.replace(/[[\]*?\\]/g, '\\$&')}*`;
  if (!isCluster(redis)) {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  }
  const nodes = (redis as unknown as { nodes(role: 'master'): Redis[] }).nodes('master');
  let deleted = 0;
  for (const node of nodes) deleted += await deleteOnNode(node, pattern);
  return deleted;
}
