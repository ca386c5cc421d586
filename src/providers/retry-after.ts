/**
 * How long a rate-limited key should rest, from the headers of a 429. Providers say it several
 * ways, sometimes several at once; the latest time that applies wins, because using the key
 * earlier only earns another 429.
 * - `Retry-After`: seconds, or an HTTP date (RFC 9110).
 * - `retry-after-ms`: milliseconds (OpenAI, Azure).
 * - `x-ratelimit-reset-requests` / `-tokens`: Go-style durations such as "6m0s", "1.5s", "20ms"
 *   (OpenAI, Groq) — each applies only when its `x-ratelimit-remaining-*` is 0 or absent, since
 *   OpenAI sends both on every 429 whichever limit was hit.
 * - `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-reset`: RFC 3339 times, with
 *   the same rule for their `-remaining` partners.
 * Whatever a header says, the answer is a finite whole number of ms no larger than the cap
 * (BLOCK_CEILING_MS unless the caller gives its own): "99999999999" seconds or Go's largest
 * duration would otherwise block a key for centuries, or overflow a Date. A value too long to be a
 * sane header, or one that does not parse, is ignored (the default block applies).
 */
import { BLOCK_CEILING_MS, capBlockMs } from '../core/block-limits.js';

/** Read-only header access: a fetch `Headers`, or a plain object (names matched case-insensitively). */
export type HeaderSource =
  { get(name: string): string | null } | Readonly<Record<string, string | undefined>>;

export function headerValue(headers: HeaderSource | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (typeof headers.get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | undefined>>;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

const DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g;
const UNIT_MS: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  ns: 1e-6,
};

/** Longer header values are not read: every real form fits well within this. */
const MAX_HEADER_LENGTH = 64;

/**
 * "6m0s" -> 360000, "1.5s" -> 1500, "20ms" -> 20; a bare number is seconds; undefined if unreadable.
 * Not capped: a huge duration comes back huge (possibly Infinity) for the caller to cap.
 */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed.length > MAX_HEADER_LENGTH) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/^(?:\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(DURATION_PART)) {
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
  }
  return total;
}

/** `Retry-After`: delta-seconds or an HTTP date. */
export function parseRetryAfterMs(text: string, now: number): number | undefined {
  const trimmed = text.trim();
  if (trimmed.length > MAX_HEADER_LENGTH) return undefined;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form starts with a day name; Date.parse alone would read "-5" as a year.
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function untilTime(text: string, now: number): number | undefined {
  if (text.trim().length > MAX_HEADER_LENGTH) return undefined;
  const at = Date.parse(text.trim());
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function limitHit(headers: HeaderSource | undefined, remainingHeader: string): boolean {
  const remaining = headerValue(headers, remainingHeader);
  return remaining === undefined || Number(remaining.trim()) <= 0;
}

const OPENAI_RESETS = ['requests', 'tokens'] as const;
const ANTHROPIC_RESETS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;

/**
 * Milliseconds until the key may be used again, at most `maxMs`, or undefined when the headers do
 * not say (the lease engine then applies its default block). `now` is epoch ms, for HTTP dates.
 */
export function retryAfterMsFromHeaders(
  headers: HeaderSource | undefined,
  now: number,
  maxMs: number = BLOCK_CEILING_MS,
): number | undefined {
  const candidates: number[] = [];
  // Infinity (a duration too long for a double) is a value, capped like any other long one.
  const push = (value: number | undefined): void => {
    if (value !== undefined && !Number.isNaN(value) && value >= 0)
      candidates.push(capBlockMs(Math.ceil(value), maxMs));
  };

  const retryAfter = headerValue(headers, 'retry-after');
  if (retryAfter !== undefined) push(parseRetryAfterMs(retryAfter, now));
  const retryAfterMs = headerValue(headers, 'retry-after-ms');
  if (
    retryAfterMs !== undefined &&
    retryAfterMs.trim().length <= MAX_HEADER_LENGTH &&
    /^\d+(?:\.\d+)?$/.test(retryAfterMs.trim())
  )
    push(Number(retryAfterMs.trim()));

  for (const limit of OPENAI_RESETS) {
    const reset = headerValue(headers, `x-ratelimit-reset-${limit}`);
    if (reset !== undefined && limitHit(headers, `x-ratelimit-remaining-${limit}`))
      push(parseDurationMs(reset));
  }
  for (const limit of ANTHROPIC_RESETS) {
    const reset = headerValue(headers, `anthropic-ratelimit-${limit}-reset`);
    if (reset !== undefined && limitHit(headers, `anthropic-ratelimit-${limit}-remaining`))
      push(untilTime(reset, now));
  }

  return candidates.length === 0 ? undefined : Math.max(...candidates);
}
