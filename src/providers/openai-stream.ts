/**
 * OpenAI's streamed chat completion (`stream: true`), read defensively like the whole reply is:
 * each chunk's `choices[0].delta.content` is passed on, its `finish_reason` kept, and the usage of
 * the last chunk (sent because the request asks `stream_options: { include_usage: true }`) taken
 * through checkUsage. A server that ignores that option sends no usage: it is then estimated.
 */
import type { Secret } from '../core/secret.js';
import { unreadableReply } from './classify.js';
import type { StreamEventReader } from './sdk-stream.js';
import type { ChatRequest, ChatResult, DeltaListener, FinishReason } from './types.js';
import { checkUsage, type ReportedUsage } from './usage-check.js';

export function openAiFinishReason(reason: unknown): FinishReason | undefined {
  if (reason === 'stop') return 'stop';
  if (reason === 'length') return 'length';
  if (reason === 'content_filter') return 'content_filter';
  return typeof reason === 'string' ? 'other' : undefined;
}

interface ChunkShape {
  readonly model?: unknown;
  readonly choices?: unknown;
  readonly usage?: { readonly prompt_tokens?: unknown; readonly completion_tokens?: unknown } | null;
}

export function openAiStreamReader(
  provider: string,
  request: ChatRequest,
  secret: Secret,
  onDelta: DeltaListener,
): StreamEventReader {
  let content = '';
  let started = false;
  let chunks = 0;
  let model = request.model;
  let finishReason: FinishReason | undefined;
  let reported: ReportedUsage | undefined;

  return {
    take(event) {
      if (typeof event !== 'object' || event === null) return;
      chunks += 1;
      const chunk = event as ChunkShape;
      if (typeof chunk.model === 'string' && chunk.model !== '') model = chunk.model;
      if (typeof chunk.usage === 'object' && chunk.usage !== null) {
        reported = { prompt: chunk.usage.prompt_tokens, completion: chunk.usage.completion_tokens };
      }
      const first: unknown = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
      if (typeof first !== 'object' || first === null) return;
      const choice = first as { delta?: { content?: unknown }; finish_reason?: unknown };
      finishReason = openAiFinishReason(choice.finish_reason) ?? finishReason;
      const text = choice.delta?.content;
      if (typeof text === 'string' && text !== '') {
        content += text;
        started = true;
        onDelta(text, model);
      }
    },
    get content() {
      return content;
    },
    get started() {
      return started;
    },
    finish(): ChatResult {
      if (chunks === 0) return unreadableReply(provider, 200, 'the stream held no chunks', secret);
      const usage = checkUsage(reported, request.messages, content);
      return {
        ok: true,
        content,
        model,
        usage,
        status: 200,
        ...(finishReason === undefined ? {} : { finishReason }),
      };
    },
  };
}
