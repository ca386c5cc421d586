/**
 * Maps what the official SDKs (`openai` v6, `@anthropic-ai/sdk`) throw onto a `ChatFailure`.
 * Both SDKs share one error family (generated from the same template). The no-response classes
 * are told apart with instanceof: openai's do not set `name` (it stays "Error"). HTTP errors are
 * read by shape (`status`, `headers`, `error`), which both share.
 */
import {
  APIConnectionError as AnthropicConnectionError,
  APIConnectionTimeoutError as AnthropicTimeoutError,
  APIUserAbortError as AnthropicAbortError,
} from '@anthropic-ai/sdk';
import {
  APIConnectionError as OpenAiConnectionError,
  APIConnectionTimeoutError as OpenAiTimeoutError,
  APIUserAbortError as OpenAiAbortError,
} from 'openai';
import type { Secret } from '../core/secret.js';
import { classifyHttpFailure, classifyNoResponse, unreadableReply } from './classify.js';
import type { HeaderSource } from './retry-after.js';
import type { ChatFailure } from './types.js';

export interface FailureContext {
  readonly provider: string;
  readonly secret: Secret;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Epoch ms, for HTTP-date headers. */
  readonly now: number;
}

interface SdkErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly status?: unknown;
  readonly headers?: unknown;
  readonly error?: unknown;
  readonly cause?: unknown;
  readonly code?: unknown;
}

function asShape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : { message: String(error) };
}

function isHeaderSource(value: unknown): value is HeaderSource {
  return typeof value === 'object' && value !== null;
}

/** The innermost useful reason of a network error: undici nests `ECONNREFUSED` two causes deep. */
function networkReason(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth += 1) {
    const shape = asShape(current);
    if (typeof shape.code === 'string') parts.push(shape.code);
    else if (typeof shape.message === 'string' && shape.message !== '') parts.push(shape.message);
    current = shape.cause;
  }
  return [...new Set(parts)].join(': ') || 'unknown network error';
}

/**
 * The provider's own words: `message` of the error object (openai passes `body.error`, anthropic
 * the whole body with `error.message` inside); else the SDK message without its status prefix.
 */
function providerDetail(body: unknown, message: unknown, status: number): string | undefined {
  const outer =
    typeof body === 'object' && body !== null ? (body as { message?: unknown; error?: unknown }) : {};
  if (typeof outer.message === 'string') return outer.message;
  const inner =
    typeof outer.error === 'object' && outer.error !== null ? (outer.error as { message?: unknown }) : {};
  if (typeof inner.message === 'string') return inner.message;
  if (typeof message !== 'string') return undefined;
  return message.replace(new RegExp(`^${status}\\s*`), '');
}

export function failureFromSdkError(error: unknown, context: FailureContext): ChatFailure {
  const { provider, secret } = context;
  const shape = asShape(error);
  const name = typeof shape.name === 'string' ? shape.name : '';

  if (
    context.signal?.aborted === true ||
    error instanceof OpenAiAbortError ||
    error instanceof AnthropicAbortError
  ) {
    return classifyNoResponse(provider, 'aborted', '', secret);
  }
  // Timeout before connection error: the timeout classes extend the connection ones.
  if (error instanceof OpenAiTimeoutError || error instanceof AnthropicTimeoutError) {
    return classifyNoResponse(provider, 'timeout', `no response within ${context.timeoutMs} ms`, secret);
  }
  if (error instanceof OpenAiConnectionError || error instanceof AnthropicConnectionError) {
    return classifyNoResponse(provider, 'connection', networkReason(shape.cause ?? error), secret);
  }
  if (typeof shape.status === 'number' && shape.status > 0) {
    return classifyHttpFailure({
      provider,
      status: shape.status,
      headers: isHeaderSource(shape.headers) ? shape.headers : undefined,
      body: shape.error,
      detail: providerDetail(shape.error, shape.message, shape.status),
      secret,
      now: context.now,
    });
  }
  if (error instanceof SyntaxError) {
    // A 2xx declared as JSON whose body does not parse.
    return unreadableReply(provider, 200, `body is not valid JSON (${error.message})`, secret);
  }
  // Anything else (a body cut off mid-read, an unexpected SDK error) is reported, not thrown: one
  // odd reply must not crash a worker. It counts against the provider like a failed connection.
  return classifyNoResponse(provider, 'connection', `${name || 'Error'}: ${networkReason(error)}`, secret);
}
