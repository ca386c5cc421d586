/**
 * Anthropic's streamed message (`stream: true`): `message_start` names the model and the input
 * tokens, `content_block_delta` events of type `text_delta` carry the text, `message_delta` the
 * stop reason and the output tokens. An `error` event mid-stream is thrown by the SDK (and becomes
 * a failure in sdk-stream.ts). Usage missing from either end is estimated, as for a whole reply.
 */
import type { Secret } from '../core/secret.js';
import { unreadableReply } from './classify.js';
import type { StreamEventReader } from './sdk-stream.js';
import type { ChatRequest, ChatResult, DeltaListener, FinishReason } from './types.js';
import { checkUsage, sumOfParts } from './usage-check.js';

export function anthropicFinishReason(reason: unknown): FinishReason | undefined {
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'stop';
  if (reason === 'max_tokens') return 'length';
  if (reason === 'refusal') return 'content_filter';
  return typeof reason === 'string' ? 'other' : undefined;
}

interface UsageShape {
  readonly input_tokens?: unknown;
  readonly output_tokens?: unknown;
  readonly cache_creation_input_tokens?: unknown;
  readonly cache_read_input_tokens?: unknown;
}

interface EventShape {
  readonly type?: unknown;
  readonly message?: { readonly model?: unknown; readonly usage?: UsageShape | null };
  readonly delta?: { readonly type?: unknown; readonly text?: unknown; readonly stop_reason?: unknown };
  readonly usage?: UsageShape | null;
}

export function anthropicStreamReader(
  provider: string,
  request: ChatRequest,
  secret: Secret,
  onDelta: DeltaListener,
): StreamEventReader {
  let content = '';
  let started = false;
  let ended = false;
  let model = request.model;
  let finishReason: FinishReason | undefined;
  let prompt: unknown;
  let completion: unknown;

  return {
    take(raw) {
      if (typeof raw !== 'object' || raw === null) return;
      const event = raw as EventShape;
      switch (event.type) {
        case 'message_start': {
          const m = event.message;
          if (typeof m?.model === 'string' && m.model !== '') model = m.model;
          const u = m?.usage;
          if (u) {
            prompt = sumOfParts(u.input_tokens, u.cache_creation_input_tokens, u.cache_read_input_tokens);
          }
          break;
        }
        case 'content_block_delta':
          if (event.delta?.type === 'text_delta' && typeof event.delta.text === 'string') {
            const text = event.delta.text;
            if (text === '') break;
            content += text;
            started = true;
            onDelta(text, model);
          }
          break;
        case 'message_delta':
          finishReason = anthropicFinishReason(event.delta?.stop_reason) ?? finishReason;
          // Cumulative totals: the last one counts. Newer API versions repeat the input tokens here.
          if (event.usage?.output_tokens !== undefined) completion = event.usage.output_tokens;
          if (event.usage?.input_tokens != null) {
            const u = event.usage;
            prompt = sumOfParts(u.input_tokens, u.cache_creation_input_tokens, u.cache_read_input_tokens);
          }
          break;
        case 'message_stop':
          ended = true;
          break;
      }
    },
    get content() {
      return content;
    },
    get started() {
      return started;
    },
    finish(): ChatResult {
      if (!ended && content === '') {
        return unreadableReply(provider, 200, 'the stream ended without message_stop', secret);
      }
      const reported = prompt === undefined && completion === undefined ? undefined : { prompt, completion };
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
