/**
 * What the AI job processor needs from the rest of the system, as narrow interfaces. Production
 * wires the lease engine's KeyPool, the provider registry, the price table and the usage stream in;
 * tests wire the same real pieces against their own Redis prefix and database.
 */
import type { ReleaseOutcome } from '../lease/outcome.js';
import type { LeaseAnswer, LeasedKey, LeaseRequest, NoKey } from '../lease/types.js';
import type { ChatProvider } from '../providers/types.js';
import type { TokenUsage } from './job-schema.js';
import type { UsageRecord } from '../store/request-logs.js';

export interface ReleaseOptions {
  /**
   * The job's last release: its completion (or failure) follows on the worker's BullMQ connection.
   * When the release can be written there at once it goes ahead of the completion, in the same
   * write, and `release` resolves without waiting for Redis's answer (Redis runs the two in order);
   * otherwise it resolves with the answer, as any release does.
   */
  readonly beforeCompletion?: boolean;
}

export interface KeyLeaser {
  lease(request: LeaseRequest): Promise<LeaseAnswer>;
  /** Why no key of `provider` can serve (all exhausted, disabled, blocked, provider paused, ...), for the job's failure. */
  describeNoKey(provider: string, answer: NoKey): Promise<string>;
  /**
   * Returns the key with what happened; the usage record is written together with the release.
   * Resolves when the job may go on (ReleaseOptions).
   */
  release(
    key: LeasedKey,
    outcome: ReleaseOutcome,
    usage: UsageRecord,
    options?: ReleaseOptions,
  ): Promise<void>;
}

export interface ProviderLookup {
  get(providerName: string): ChatProvider;
}

export interface PriceLookup {
  costOf(model: string, usage: TokenUsage): number;
}

export interface NoKeyWaits {
  /** When this job first found no key (epoch ms), recording `now` the first time it is asked. */
  since(jobId: string, now: number): Promise<number>;
  clear(jobId: string): Promise<void>;
}
