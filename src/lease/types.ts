/**
 * Terminology
 * - key: one provider API key (`key_N`), with a daily token limit and an optional concurrency cap.
 * - account: a provider's group of keys sharing a priority (1 = primary, 2 = fallback), with an
 *   optional daily token quota and monthly USD budget.
 * - lease: the right to use one key for one provider call, granted atomically in Redis. It expires
 *   by itself after its TTL, so a holder that dies gives its capacity back without a sweeper.
 * - reservation: the estimated tokens a lease holds against its key's (and account's) daily limit
 *   until release reconciles them to the actual tokens.
 * - ready set: per provider, account and model, the keys that may be leased now, sorted by
 *   used + reserved tokens (then least recently leased): selection is O(log n).
 * - block: a temporary stop (`temporarily_blocked` until a time), after a rate limit or by hand.
 * - breaker: after AI_CIRCUIT_BREAKER_THRESHOLD consecutive server errors a key is disabled (kind
 *   `breaker`) and gets a half-open probe after AI_KEY_PROBE_AFTER_MS; when failures are spread over
 *   several keys of a provider the provider's breaker opens instead, pausing it for
 *   AI_PROVIDER_COOLDOWN_MS and then letting one probe lease through.
 * - hydration: building the Redis state from Postgres (the source of truth for status and config).
 */

import type { SystemSettings } from '../config/types.js';
import type { Secret } from '../core/secret.js';
import type { DisabledKind, KeyStatus } from '../store/keys.js';

/** The system settings the engine applies (types from their declarations); see lease/settings.ts. */
export const LEASE_SETTING_FIELDS = [
  'leaseTtlMs',
  'circuitBreakerThreshold',
  'blockSeconds',
  'maxBlockSeconds',
  'keyProbeAfterMs',
  'providerCooldownMs',
  'fallbackModel',
  'keyMaxConcurrency',
] as const satisfies readonly (keyof SystemSettings)[];

export type LeaseSettings = Pick<SystemSettings, (typeof LEASE_SETTING_FIELDS)[number]>;

/** What a lease asks for: the same request from the job, through the leaser and the pool, to the engine. */
export interface LeaseRequest {
  readonly provider: string;
  /** Restricts the choice to keys of this model (AI_FALLBACK_MODEL's keys serve when none can). */
  readonly model?: string | undefined;
  readonly estimatedTokens: number;
  /** Keys this job already tried in this run: never leased to it again. */
  readonly excludeKeyIds?: readonly number[];
}

export interface Lease {
  readonly leaseId: string;
  readonly keyId: number;
  readonly accountId: number;
  readonly provider: string;
  /** The model of the leased key: the requested one, or the fallback model. */
  readonly model: string;
  readonly estimatedTokens: number;
  readonly expiresAtMs: number;
  /** Position in the total order of lease/release steps (useful to audit a run). */
  readonly seq: number;
  /** Leases on this key right after the grant, this one included. */
  readonly inflight: number;
  /** used_today + reserved tokens on this key right after the grant. */
  readonly committedTokens: number;
  /** This lease is the half-open probe of a breaker-disabled key. */
  readonly keyProbe: boolean;
  /** This lease is the one probe of a paused provider. */
  readonly providerProbe: boolean;
}

/**
 * A stream entry the release appends in the same atomic step (the call's usage record): the stream's
 * key, which shares the deployment's hash tag, and the value of its `r` field.
 */
export interface ReleaseAppend {
  readonly stream: string;
  readonly entry: string;
}

/** The answer when no key can serve a lease request: the engine's, the pool's and the job's. */
export interface NoKey {
  readonly ok: false;
  readonly reason: 'no_key' | 'provider_paused';
  /** Earliest moment (epoch ms) a key could serve; null when only the daily reset helps. */
  readonly retryAtMs: number | null;
  /** A key in `excludeKeyIds` (one this job already tried) could serve now: waiting would not help this run. */
  readonly onlyTriedKeysAvailable: boolean;
}

/** The engine's answer: a lease in Redis, no key decrypted yet. */
export type LeaseResult = { readonly ok: true; readonly lease: Lease } | NoKey;

/** A leased key as the key pool hands it out (secret decrypted at lease time, in this process only). */
export interface LeasedKey {
  readonly lease: Lease;
  readonly leaseId: string;
  readonly keyId: number;
  readonly keyName: string;
  readonly accountId: number;
  readonly provider: string;
  /** The leased key's model: the requested one or the fallback. */
  readonly model: string;
  readonly secret: Secret;
}

/** The key pool's (and so the job's) answer: a decrypted key, or why none can serve. */
export type LeaseAnswer = { readonly ok: true; readonly key: LeasedKey } | NoKey;

/** A key's hot state as Redis holds it after an operation. */
export interface KeyState {
  readonly keyId: number;
  readonly status: KeyStatus;
  readonly disabledKind: DisabledKind | null;
  readonly disabledReason: string | null;
  /** Block end, epoch ms; null when none. */
  readonly blockUntilMs: number | null;
  readonly consecutiveFailures: number;
  readonly usedToday: number;
  readonly lastUsedAtMs: number | null;
  /** Half-open probe time for breaker-disabled keys, epoch ms; null when none. */
  readonly probeAtMs: number | null;
  readonly reserved: number;
  readonly inflight: number;
}

/** A key's hot state as read straight from Redis, with what only the lease scripts use. */
export interface KeyHotState extends KeyState {
  /**
   * A call on it succeeded since it entered service and none failed since: its concurrency cap
   * applies. Until then it gets one call in flight (slow start, lua/includes/key-state.lua is_ready).
   */
  readonly proven: boolean;
}

export type ProviderBreakerEvent = 'opened' | 'reopened' | 'closed';

/** What a release changed on its key, for KeyPool to take to Postgres. */
export type KeyCount = { readonly keyId: number } & (
  | /** Status or disabled kind changed: the key's new state, to write to Postgres now. */
    { readonly statusChanged: true; readonly key: KeyState }
    /** Counters only: they reach Postgres with the next counter flush (KeyPool). */
  | { readonly statusChanged: false }
);

export type ReleaseResult =
  | ({
      readonly released: true;
      readonly seq: number;
      readonly providerEvent: ProviderBreakerEvent | null;
    } & KeyCount)
  /**
   * The lease had expired (its capacity already came back): only a success's tokens (and cost) were
   * still counted on its key and account, since the call did use them; `counted` is null when
   * there was nothing to count (another outcome, or the key is gone).
   */
  | { readonly released: false; readonly reason: 'expired'; readonly counted: KeyCount | null }
  /** Never issued, or already released: nothing was counted. */
  | { readonly released: false; readonly reason: 'unknown' }
  /**
   * KeyPool only: Redis could not be reached (or releases are held before it), so the release is
   * held in memory and delivered when Redis answers (held-releases.ts); 'dropped' when too many
   * are held already (logged and counted).
   */
  | { readonly released: false; readonly reason: 'held' | 'dropped' };

/** Result of an admin operation on one key; null when the key is unknown. */
export interface KeyChange {
  readonly statusChanged: boolean;
  readonly key: KeyState;
}
