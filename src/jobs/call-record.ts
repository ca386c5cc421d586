/**
 * What one provider call leaves behind: its usage row, the outcome the key is released with, and
 * the one-line summary of a job's calls that failure reasons carry.
 */
import type { ReleaseOutcome } from '../lease/outcome.js';
import type { LeasedKey } from '../lease/types.js';
import type { ChatResult } from '../providers/types.js';
import type { UsageRecord } from '../store/request-logs.js';
import type { CallAttempt } from './job-schema.js';

const NO_USAGE = { promptTokens: 0, completionTokens: 0, totalTokens: 0, estimated: false };

/** Tokens the call was billed for: a failed call none, unless a stream broke after sending text. */
export function paidUsage(result: ChatResult): typeof NO_USAGE {
  if (result.ok) return result.usage;
  return result.partial?.usage ?? NO_USAGE;
}

export function usageRecord(
  key: LeasedKey,
  result: ChatResult,
  cost: number,
  job: { id: string; run: number; attempt: number; callId: string; client: string | undefined },
  at: number,
): UsageRecord {
  const usage = paidUsage(result);
  return {
    callId: job.callId,
    keyId: key.keyId,
    accountId: key.accountId,
    provider: key.provider,
    model: key.model,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    totalTokens: usage.totalTokens,
    usageEstimated: usage.estimated,
    costUsd: cost,
    status: result.status,
    error: result.ok ? null : result.message,
    jobId: job.id,
    jobRun: job.run,
    attempt: job.attempt,
    at,
    client: job.client ?? null,
  };
}

/** A stream that broke after sending text was paid for: its tokens count on the key like a success's. */
export function outcomeOf(result: ChatResult, cost: number): ReleaseOutcome {
  if (result.ok) return { kind: 'success', tokens: result.usage.totalTokens, costUsd: cost };
  if (result.partial === undefined || result.partial.usage.totalTokens <= 0) return result.outcome;
  return { ...result.outcome, paid: { tokens: result.partial.usage.totalTokens, costUsd: cost } };
}

export function summarise(attempts: readonly CallAttempt[]): string {
  return attempts
    .map((a) =>
      `${a.keyName}: ${a.status === 0 ? 'no response' : `HTTP ${a.status}`} ${a.error ?? ''}`.trim(),
    )
    .join('; ');
}
