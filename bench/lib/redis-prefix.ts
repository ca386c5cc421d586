import { randomBytes } from 'node:crypto';

/** A prefix of the bench's own (a hash tag), so a bench never touches real data. */
export function benchPrefix(name: string): string {
  return `{aikeys-bench-${name}-${randomBytes(4).toString('hex')}}`;
}
