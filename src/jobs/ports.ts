/**
 * What the AI job processor needs from the rest of the system, as narrow interfaces. Production
 * wires the lease engine's KeyPool, the provider registry, the price table and the usage stream in;
 * tests wire the same real pieces against their own Redis prefix and database.
 */
import type { SelectedKey } from '../lease/key-pool.js';
import type { ReleaseOutcome } from '../lease/outcome.js';
import type { ChatProvider } from '../providers/types.js';
import type { TokenUsage } from '../queues/job-schema.js';
import type { UsageRecord } from '../usage/usage-record.js';

export interface LeaseRequest {
  provider: string;
  model: string | undefined;
  estimatedTokens: number;
  /** Keys this job already tried in this run: never leased to it again. */
  excludeKeyIds: readonly number[];
}

/** A leased key as the key pool hands it out (secret decrypted at lease time, in this process only). */
export type LeasedKey = Omit<SelectedKey, 'lease'>;

export type LeaseAnswer =
  | { readonly ok: true; readonly key: LeasedKey }
  | {
      readonly ok: false;
      /** Why no key can serve (all exhausted, disabled, blocked, provider paused, ...). */
      readonly reason: string;
      /** Earliest moment (epoch ms) a key could serve; null when only the daily reset helps. */
      readonly retryAtMs: number | null;
      /** True when a key this job already tried could serve now (so waiting would not help this run). */
      readonly onlyTriedKeysAvailable: boolean;
    };

export interface KeyLeaser {
  lease(request: LeaseRequest): Promise<LeaseAnswer>;
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
