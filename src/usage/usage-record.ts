/**
 * The encoding of one provider call's usage (UsageRecord, declared with its table in
 * store/request-logs.ts) on its way from a worker to `ai_request_logs`. Records travel through
 * a Redis stream so a Postgres outage delays them and a crashed worker loses none; `callId`, a
 * random UUID minted before the call, identifies it, so writing a record twice counts it once.
 * (jobId, jobRun, attempt) cannot be the identity: BullMQ's job ids start again at 1 when Redis
 * loses its data, and a new call would then look like an old one and be dropped.
 */
import { createHash } from 'node:crypto';
import type { UsageRecord } from '../store/request-logs.js';

/** The fields of records written before call ids existed, in their order (still decoded). */
const LEGACY_FIELDS = [
  'keyId',
  'accountId',
  'provider',
  'model',
  'promptTokens',
  'completionTokens',
  'totalTokens',
  'costUsd',
  'status',
  'error',
  'jobId',
  'jobRun',
  'attempt',
  'at',
] as const;

/** The fields of records written before client names were carried (still decoded). */
const PRE_CLIENT_FIELDS = [...LEGACY_FIELDS, 'callId', 'usageEstimated'] as const;

const FIELDS = [...PRE_CLIENT_FIELDS, 'client'] as const;

const KNOWN_LENGTHS: readonly number[] = [FIELDS.length, PRE_CLIENT_FIELDS.length, LEGACY_FIELDS.length];

/**
 * A stable call id for a record that has none (appended by a worker from before call ids): the same
 * record text always gets the same id, so its replays are still counted once, and `at` (epoch ms)
 * keeps it apart from a later call that reuses the job id.
 */
function legacyCallId(r: Record<string, unknown>): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([r.jobId, r.jobRun, r.attempt, r.keyId, r.at]))
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Compact, order-fixed encoding for XADD (one field, JSON array: cheaper than 14 fields). */
export function encodeUsageRecord(r: UsageRecord): string {
  return JSON.stringify(FIELDS.map((f) => r[f] ?? null));
}

/**
 * The record's fields, unchecked beyond their number: the values are checked by Postgres when the
 * row is written, and a row it refuses is set aside (usage-flusher.ts), never retried forever.
 */
export function decodeUsageRecord(text: string): UsageRecord {
  const values = JSON.parse(text) as unknown;
  if (!Array.isArray(values) || !KNOWN_LENGTHS.includes(values.length)) {
    throw new Error(
      `usage record has ${Array.isArray(values) ? values.length : 'no'} fields, expected ${FIELDS.length}`,
    );
  }
  const record: Record<string, unknown> = Object.fromEntries(FIELDS.map((f, i) => [f, values[i]]));
  // A worker from before client names appended none: the call was made for no named client.
  record.client ??= null;
  if (values.length === LEGACY_FIELDS.length) {
    record.callId = legacyCallId(record);
    record.usageEstimated = false;
  }
  return record as unknown as UsageRecord;
}
