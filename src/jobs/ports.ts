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

export interface KeyLeaser {
  lease(request: LeaseRequest): Promise<LeaseAnswer>;
  /** Why no key of `provider` can serve (all exhausted, disabled, blocked, provider paused, ...), for the job's failure. */
  describeNoKey(provider: string, answer: NoKey): Promise<string>;
  /** Returns the key with what happened; the usage record is written together with the release. */
  release(key: LeasedKey, outcome: ReleaseOutcome, usage: UsageRecord): Promise<void>;
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
