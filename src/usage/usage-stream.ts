import type { Redis } from 'ioredis';
import { encodeUsageRecord, type UsageRecord } from './usage-record.js';

export const USAGE_GROUP = 'usage-writers';

/** The stream shares the deployment's hash tag (prefix) with the queue and the lease state. */
export function usageStreamKey(prefix: string): string {
  return `${prefix}:usage:v1:stream`;
}

/** Appends usage records; a provider call's record goes with its lease release (entryFor). */
export class UsageStream {
  readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = usageStreamKey(prefix);
  }

  append(record: UsageRecord): Promise<string | null> {
    return this.redis.xadd(this.key, '*', 'r', encodeUsageRecord(record));
  }

  /** The record as the lease release appends it, in the same atomic step (ReleaseAppend). */
  entryFor(record: UsageRecord): { stream: string; entry: string } {
    return { stream: this.key, entry: encodeUsageRecord(record) };
  }

  async length(): Promise<number> {
    return this.redis.xlen(this.key);
  }
}
