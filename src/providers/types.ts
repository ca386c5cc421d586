/**
 * Terminology
 * - provider: an HTTP API that answers chat requests (`openai`, `anthropic`, `openrouter`, a local
 *   server...). One `ChatProvider` per configured endpoint; it holds no key of its own.
 * - credentials: the key a call is made with, leased by the caller for exactly this call.
 * - failure: an expected outcome of a call (bad key, rate limit, outage, bad request). Failures are
 *   returned as values carrying the `ReleaseOutcome` the lease engine applies to the key; only
 *   programming errors throw.
 */
import type { Secret } from '../core/secret.js';
import type { ReleaseOutcome } from '../lease/outcome.js';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens?: number;
  readonly temperature?: number;
}

export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Always promptTokens + completionTokens. */
  readonly totalTokens: number;
  /** True when the reply's usage was missing or garbage and the tokens were counted locally. */
  readonly estimated: boolean;
}

/**
 * Why the reply ended, in one vocabulary for every wire format: `stop` (a natural end or a stop
 * sequence), `length` (the token limit), `content_filter` (a refusal), `other` (anything else).
 */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'other';

export interface ChatSuccess {
  readonly ok: true;
  readonly content: string;
  /** Absent when the provider did not say. */
  readonly finishReason?: FinishReason;
  /** The model the provider says answered (may be a dated variant of the one asked for). */
  readonly model: string;
  readonly usage: TokenUsage;
  readonly status: 200;
}

export interface ChatFailure {
  readonly ok: false;
  /** What this failure means for the key that made the call. */
  readonly outcome: Exclude<ReleaseOutcome, { kind: 'success' }>;
  /** HTTP status; 0 when no response came (timeout, connection refused or reset). */
  readonly status: number;
  /** Safe to log and to store in job results: never contains the key. */
  readonly message: string;
  /** How long the provider asked us to wait before using this key again, when it said. */
  readonly retryAfterMs?: number;
  /**
   * A streamed reply that broke after its first chunk: what was already sent on, and the tokens
   * that were paid for (estimated locally: a broken stream never reports its usage).
   */
  readonly partial?: { readonly content: string; readonly usage: TokenUsage };
}

export type ChatResult = ChatSuccess | ChatFailure;

export interface ChatCallOptions {
  /** Aborts the call (worker shutdown, job cancelled); the result is then a request_error with status 0. */
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
}

/** Receives a streamed reply's text as it comes; `model` is the one the provider names, if it did yet. */
export type DeltaListener = (text: string, model: string) => void;

export interface ChatProvider {
  readonly name: string;
  chat(
    request: ChatRequest,
    credentials: { readonly secret: Secret },
    options: ChatCallOptions,
  ): Promise<ChatResult>;
  /**
   * The same call, streamed: `onDelta` gets each piece of text as it arrives; the result is what
   * `chat` would return (usage from the stream's last event, else estimated). A failure after the
   * first piece carries `partial`.
   */
  chatStream?(
    request: ChatRequest,
    credentials: { readonly secret: Secret },
    options: ChatCallOptions,
    onDelta: DeltaListener,
  ): Promise<ChatResult>;
}
