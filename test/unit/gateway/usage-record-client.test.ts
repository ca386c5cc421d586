import { describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../../src/store/request-logs.js';
import { decodeUsageRecord, encodeUsageRecord } from '../../../src/usage/usage-record.js';

const RECORD: UsageRecord = {
  callId: '00000000-0000-4000-8000-000000000001',
  keyId: 1,
  accountId: 1,
  provider: 'openai',
  model: 'gpt-4o-mini',
  promptTokens: 1,
  completionTokens: 2,
  totalTokens: 3,
  usageEstimated: false,
  costUsd: 0,
  status: 200,
  error: null,
  jobId: '7',
  jobRun: 1,
  attempt: 1,
  at: 1_700_000_000_000,
  client: 'billing',
};

describe('usage records carry the client name', () => {
  it('through the stream encoding', () => {
    expect(decodeUsageRecord(encodeUsageRecord(RECORD))).toEqual(RECORD);
  });

  it('as null when a record has none, or comes from a worker from before client names', () => {
    const { client: _client, ...withoutClient } = RECORD;
    expect(decodeUsageRecord(encodeUsageRecord(withoutClient)).client).toBeNull();
    const older = JSON.parse(encodeUsageRecord(RECORD)) as unknown[];
    expect(decodeUsageRecord(JSON.stringify(older.slice(0, -1)))).toEqual({ ...RECORD, client: null });
  });
});
