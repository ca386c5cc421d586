/**
 * What happened to a provider call, as far as the key that made it is concerned. The provider
 * layer classifies errors into these; the lease engine applies the consequences on release.
 */
/**
 * Tokens a failed call was billed for all the same (a stream that broke after sending text): they
 * count on the key and account like a success's, and nothing else about the failure changes.
 */
export interface PaidPart {
  readonly paid?: { readonly tokens: number; readonly costUsd?: number };
}

export type ReleaseOutcome =
  /** The call succeeded: the reservation is reconciled to `tokens`, `costUsd` counts toward the account budget. */
  | { readonly kind: 'success'; readonly tokens: number; readonly costUsd?: number }
  /** 429: the key is temporarily_blocked until `retryAfterMs` from now (default AI_BLOCK_SECONDS). */
  | ({ readonly kind: 'rate_limited'; readonly retryAfterMs?: number } & PaidPart)
  /** 401/403: the key is disabled at once ("invalid key (HTTP 401)"). */
  | ({ readonly kind: 'auth_failed'; readonly status: number } & PaidPart)
  /** 402 / insufficient quota / billing: the key is exhausted until the daily reset. */
  | ({ readonly kind: 'quota_exhausted' } & PaidPart)
  /** 5xx, timeout (status 0) or connection error: counts toward the circuit breaker. */
  | ({ readonly kind: 'server_error'; readonly status: number } & PaidPart)
  /** 400/404/413 and the like: the request's fault, no penalty for the key. */
  | ({ readonly kind: 'request_error'; readonly status: number } & PaidPart);

export type ReleaseOutcomeKind = ReleaseOutcome['kind'];

/** Outcomes after which the job should try again on another key. */
export function isKeyCausedFailure(outcome: ReleaseOutcome): boolean {
  return (
    outcome.kind === 'rate_limited' ||
    outcome.kind === 'auth_failed' ||
    outcome.kind === 'quota_exhausted' ||
    outcome.kind === 'server_error'
  );
}
