/**
 * One call on a leased key, plain or streamed. A streamed job's text goes to its reply sink as it
 * comes; a provider without streaming still serves a streamed job (its whole answer as one piece).
 */
import type { LeasedKey } from '../lease/types.js';
import type { ChatProvider, ChatResult } from '../providers/types.js';
import type { ValidAiJobData } from './job-schema.js';
import type { ReplySink } from './reply-sink.js';

export interface ProviderCall {
  readonly chat: ChatProvider;
  readonly key: LeasedKey;
  readonly data: ValidAiJobData;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  /** Present for a streamed job. */
  readonly sink: ReplySink | undefined;
}

export async function callLeasedKey({
  chat,
  key,
  data,
  timeoutMs,
  signal,
  sink,
}: ProviderCall): Promise<ChatResult> {
  const request = {
    model: key.model,
    messages: data.messages,
    maxTokens: data.maxTokens,
    temperature: data.temperature,
  };
  const credentials = { secret: key.secret };
  const options = { timeoutMs, signal };
  if (sink === undefined) return chat.chat(request, credentials, options);
  if (chat.chatStream === undefined) {
    const result = await chat.chat(request, credentials, options);
    if (result.ok && result.content !== '') sink.delta(result.content, result.model);
    return result;
  }
  return chat.chatStream(request, credentials, options, (text, model) => sink.delta(text, model));
}

/**
 * The stream's last entry once the call is over: `end` after a success, `err` after a break
 * mid-stream (nothing was sent before a failure otherwise: that one is retried on another key).
 * Resolves with the Redis error, if any, rather than throwing: the key must be released first.
 */
export async function closeReply(
  sink: ReplySink | undefined,
  result: ChatResult,
  failureSummary: () => string,
): Promise<unknown> {
  if (sink === undefined) return undefined;
  try {
    if (result.ok) await sink.end(result.model, result.finishReason ?? 'stop', result.usage);
    else if (sink.started) await sink.fail(failureSummary());
    return undefined;
  } catch (error) {
    return error;
  }
}
