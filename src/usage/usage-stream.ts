import type { ChainableCommander, Redis } from 'ioredis';
import { encodeUsageRecord, type UsageRecord } from './usage-record.js';

export const USAGE_GROUP = 'usage-writers';

/** The stream shares the deployment's hash tag (prefix) with the queue and the lease state. */
export function usageStreamKey(prefix: string): string {
  return `${prefix}:usage:v1:stream`;
}

/** Appends usage records; as a command on a MULTI it commits together with the lease release. */
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

  /** Adds the XADD to a pipeline or MULTI the caller is building. */
  appendTo(chain: ChainableCommander, record: UsageRecord): ChainableCommander {
    return chain.xadd(this.key, '*', 'r', encodeUsageRecord(record));
  }

  async length(): Promise<number> {
    return this.redis.xlen(this.key);
  }
}
