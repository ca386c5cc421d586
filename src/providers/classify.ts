/**
 * Turns what went wrong with a provider call into what it means for the key (`ReleaseOutcome`).
 * Pure: no I/O, no clock of its own (`now` is passed in for HTTP-date headers).
 *
 * | what came back                                        | outcome          |
 * |-------------------------------------------------------|------------------|
 * | 402; 429/403 whose body says insufficient_quota, billing or credit; Anthropic's 400 "credit balance is too low" | quota_exhausted |
 * | 401, 403                                              | auth_failed      |
 * | 429                                                   | rate_limited (+ retryAfterMs from headers) |
 * | 408, 5xx, no response (timeout, refused, reset)       | server_error     |
 * | other 4xx (400, 404, 413, 422, ...)                   | request_error    |
 * | a 200 that cannot be read                             | server_error     |
 * | the caller aborted                                    | request_error, status 0: not the key's fault |
 */
import type { Secret } from '../core/secret.js';
import { safeMessage } from './redact.js';
import { retryAfterMsFromHeaders, type HeaderSource } from './retry-after.js';
import type { ChatFailure } from './types.js';

/** Body wording providers use when the account, not the request rate, is the limit. */
const QUOTA_WORDING = /insufficient_quota|billing|credit|exceeded your current quota/i;
/** Anthropic reports an empty prepaid balance as a 400 invalid_request_error. */
const ANTHROPIC_NO_CREDIT = /credit balance is too low/i;

export interface HttpFailure {
  readonly provider: string;
  readonly status: number;
  readonly headers?: HeaderSource;
  /** The response body: parsed JSON, text, or undefined. Only inspected, never returned whole. */
  readonly body?: unknown;
  /** What the provider or its SDK said went wrong; redacted before use. */
  readonly detail?: string;
  /** The key used, so that an echo of it can be removed from the message. */
  readonly secret?: Secret;
  /** Epoch ms. */
  readonly now: number;
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  try {
    return JSON.stringify(body);
  } catch {
    return '';
  }
}

function describe(
  provider: string,
  status: number,
  detail: string | undefined,
  secret: Secret | undefined,
): string {
  const head = `${provider} returned HTTP ${status}`;
  return detail === undefined || detail.trim() === '' ? head : safeMessage(`${head}: ${detail}`, secret);
}

export function classifyHttpFailure(failure: HttpFailure): ChatFailure {
  const { provider, status, secret } = failure;
  const said = `${failure.detail ?? ''} ${bodyText(failure.body)}`;
  const message = describe(provider, status, failure.detail ?? bodyText(failure.body), secret);

  if (
    status === 402 ||
    ((status === 429 || status === 403) && QUOTA_WORDING.test(said)) ||
    (status === 400 && ANTHROPIC_NO_CREDIT.test(said))
  ) {
    return { ok: false, outcome: { kind: 'quota_exhausted' }, status, message };
  }
  if (status === 401 || status === 403) {
    return { ok: false, outcome: { kind: 'auth_failed', status }, status, message };
  }
  if (status === 429) {
    const retryAfterMs = retryAfterMsFromHeaders(failure.headers, failure.now);
    return retryAfterMs === undefined
      ? { ok: false, outcome: { kind: 'rate_limited' }, status, message }
      : { ok: false, outcome: { kind: 'rate_limited', retryAfterMs }, status, message, retryAfterMs };
  }
  if (status >= 400 && status < 500 && status !== 408) {
    return { ok: false, outcome: { kind: 'request_error', status }, status, message };
  }
  // 408, 5xx, and statuses no provider should send (1xx, 3xx after redirects): the provider's fault.
  return { ok: false, outcome: { kind: 'server_error', status }, status, message };
}

export type NoResponseReason = 'timeout' | 'connection' | 'aborted';

/** No HTTP response at all: status 0. */
export function classifyNoResponse(
  provider: string,
  reason: NoResponseReason,
  detail: string,
  secret?: Secret,
): ChatFailure {
  if (reason === 'aborted') {
    return {
      ok: false,
      outcome: { kind: 'request_error', status: 0 },
      status: 0,
      message: `${provider} call aborted by the caller`,
    };
  }
  const what = reason === 'timeout' ? 'timed out' : 'connection failed';
  return {
    ok: false,
    outcome: { kind: 'server_error', status: 0 },
    status: 0,
    message: safeMessage(`${provider} ${what}: ${detail}`, secret),
  };
}

/** A response arrived but is not a chat reply (not JSON, or no choices/content). */
export function unreadableReply(
  provider: string,
  status: number,
  detail: string,
  secret?: Secret,
): ChatFailure {
  return {
    ok: false,
    outcome: { kind: 'server_error', status },
    status,
    message: safeMessage(`${provider} returned an unreadable reply: ${detail}`, secret),
  };
}
