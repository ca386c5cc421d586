/**
 * One provider call's usage, on its way from a worker to `ai_request_logs`. Records travel through
 * a Redis stream so a Postgres outage delays them and a crashed worker loses none; (jobId, jobRun,
 * attempt) identifies a call, so writing a record twice counts it once.
 */
export interface UsageRecord {
  keyId: number;
  accountId: number;
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  costUsd: number;
  /** HTTP status, 0 when no response came. */
  status: number;
  error: string | null;
  /** BullMQ job id; `direct:<uuid>` for usage reported outside a job. */
  jobId: string;
  /** Which run of the job (BullMQ attemptsStarted). */
  jobRun: number;
  /** Which provider call within that run, from 1. */
  attempt: number;
  /** When the call finished, epoch ms. */
  at: number;
}

const FIELDS = [
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

/** Compact, order-fixed encoding for XADD (one field, JSON array: cheaper than 14 fields). */
export function encodeUsageRecord(r: UsageRecord): string {
  return JSON.stringify(FIELDS.map((f) => r[f]));
}

export function decodeUsageRecord(text: string): UsageRecord {
  const values = JSON.parse(text) as unknown[];
  if (!Array.isArray(values) || values.length !== FIELDS.length) {
    throw new Error(
      `usage record has ${Array.isArray(values) ? values.length : 'no'} fields, expected ${FIELDS.length}`,
    );
  }
  return Object.fromEntries(FIELDS.map((f, i) => [f, values[i]])) as unknown as UsageRecord;
}
