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

export type KeyStatus = 'active' | 'temporarily_blocked' | 'exhausted' | 'disabled';
export type DisabledKind = 'manual' | 'breaker' | 'invalid_key' | 'removed';

/** Settings the engine applies; built from AikeysConfig by `leaseSettingsFromConfig`. */
export interface LeaseSettings {
  readonly leaseTtlMs: number;
  readonly circuitBreakerThreshold: number;
  readonly blockSeconds: number;
  /** No block (rate limit or by hand) ends later than this from now (`AI_MAX_BLOCK_SECONDS`). */
  readonly maxBlockSeconds: number;
  readonly keyProbeAfterMs: number;
  readonly providerCooldownMs: number;
  readonly fallbackModel: string;
  /** Default per-key concurrency cap for keys without their own; null = unlimited. */
  readonly keyMaxConcurrency: number | null;
}

export interface LeaseRequest {
  readonly provider: string;
  /** Restricts the choice to keys of this model (AI_FALLBACK_MODEL's keys serve when none can). */
  readonly model?: string | undefined;
  readonly estimatedTokens: number;
  /** Keys that must not be chosen (already tried by this job). */
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

export type LeaseResult =
  | { readonly ok: true; readonly lease: Lease }
  | {
      readonly ok: false;
      readonly reason: 'no_key' | 'provider_paused';
      /** Earliest moment (epoch ms) a key could serve; null when only the daily reset helps. */
      readonly retryAtMs: number | null;
      /** A key in `excludeKeyIds` could have served. */
      readonly onlyExcludedCouldServe: boolean;
    };

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

export type ProviderBreakerEvent = 'opened' | 'reopened' | 'closed';

export type ReleaseResult =
  | ({
      readonly released: true;
      readonly seq: number;
      readonly keyId: number;
      readonly providerEvent: ProviderBreakerEvent | null;
    } & (
      | /** Status or disabled kind changed: the key's new state, to write to Postgres now. */
        { readonly statusChanged: true; readonly key: KeyState }
        /** Counters only: they reach Postgres with the next counter flush (KeyPool). */
      | { readonly statusChanged: false }
    ))
  /** The lease had expired (its capacity already came back) or is unknown: nothing was counted. */
  | { readonly released: false; readonly reason: 'expired' | 'unknown' };

/** Result of an admin operation on one key; null when the key is unknown. */
export interface KeyChange {
  readonly statusChanged: boolean;
  readonly key: KeyState;
}
