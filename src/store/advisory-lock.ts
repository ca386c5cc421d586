import { createHash } from 'node:crypto';

/**
 * A Postgres advisory lock id for `name`: the first 8 bytes of its SHA-256 as a signed bigint, so it
 * is fixed across versions and unlikely to collide with another application's lock on the server.
 */
export function advisoryLockId(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}
