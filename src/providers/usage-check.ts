/**
 * Token usage as a provider reports it, checked where it enters, for both wire formats.
 *
 * These numbers become a key's quota (Redis), an account's budget and an `ai_request_logs` row
 * (integer columns): a reply claiming 20.5 or -3 or 1e300 tokens must neither stop usage logging
 * (Postgres refuses the row) nor poison a quota. A count is accepted when it is a finite,
 * non-negative number of at most MAX_TOKENS_PER_CALL; a fractional count is rounded (a provider
 * that bills fractions still billed about that much). Anything else is garbage, and the call is then
 * still counted, with tokens estimated locally and `estimated: true`, so quotas and costs move.
 */
import { countTextTokens, estimatePromptTokens, type TextMessage } from '../pricing/estimate-tokens.js';
import type { TokenUsage } from './types.js';

/** Far above any real call (the largest context windows are a few million tokens). */
export const MAX_TOKENS_PER_CALL = 10_000_000;

/** The counts as found in a reply, unchecked; `undefined` = the reply had no usage at all. */
export interface ReportedUsage {
  readonly prompt: unknown;
  readonly completion: unknown;
}

/** A checked token count, or undefined when the value is garbage. */
export function tokenCount(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined;
  const rounded = Math.round(value);
  return rounded <= MAX_TOKENS_PER_CALL ? rounded : undefined;
}

/**
 * `required` plus every optional part that is present (Anthropic's prompt = input + cache writes +
 * cache reads). A present part that is not a number makes the whole sum garbage (NaN), so one bad
 * field is not silently counted as 0.
 */
export function sumOfParts(required: unknown, ...optional: unknown[]): unknown {
  if (typeof required !== 'number') return required;
  let sum = required;
  for (const part of optional) {
    if (part === undefined || part === null) continue;
    if (typeof part !== 'number') return Number.NaN;
    sum += part;
  }
  return sum;
}

/** Usage counted here, for a reply that reported none we can trust. */
export function estimatedUsage(messages: readonly TextMessage[], content: string): TokenUsage {
  const promptTokens = estimatePromptTokens(messages);
  const completionTokens = countTextTokens(content);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, estimated: true };
}

export function checkUsage(
  reported: ReportedUsage | undefined,
  messages: readonly TextMessage[],
  content: string,
): TokenUsage {
  const promptTokens = tokenCount(reported?.prompt);
  const completionTokens = tokenCount(reported?.completion);
  if (promptTokens === undefined || completionTokens === undefined) return estimatedUsage(messages, content);
  // Total is always prompt + completion; a reported total is not read, so one that disagrees (or is
  // garbage) loses: prices are per prompt and per completion token, and a total that is not their
  // sum would make the key's quota, the logged tokens and the cost disagree with each other.
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, estimated: false };
}
