import type { ReleaseAppend } from '../lease/types.js';
import type { UsageRecord } from '../store/request-logs.js';
import { encodeUsageRecord } from './usage-record.js';

export const USAGE_GROUP = 'usage-writers';

/** The stream shares the deployment's hash tag (prefix) with the queue and the lease state. */
export function usageStreamKey(prefix: string): string {
  return `${prefix}:usage:v1:stream`;
}

/**
 * Where usage records go. A provider call's record enters the stream only with its lease release
 * (one script: the key's count and the record land together or not at all), so this hands the
 * release its entry rather than writing to Redis itself.
 */
export class UsageStream {
  readonly key: string;

  constructor(prefix: string) {
    this.key = usageStreamKey(prefix);
  }

  /** The record as the lease release appends it to the stream's `r` field. */
  entryFor(record: UsageRecord): ReleaseAppend {
    return { stream: this.key, entry: encodeUsageRecord(record) };
  }
}
