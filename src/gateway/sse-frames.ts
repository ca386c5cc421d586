/**
 * A streamed reply's entries (src/jobs/reply-stream.ts) as server-sent events in the format the
 * client asked for, whatever provider served it:
 * - OpenAI: `data: <chat.completion.chunk>` frames (a role chunk first, `usage: null` on each when
 *   the client asked `stream_options.include_usage`, then a last chunk with empty `choices` and
 *   the usage), `data: [DONE]`; an error mid-stream is `data: {"error": ...}`, which the `openai`
 *   SDK raises as an APIError.
 * - Anthropic: `event:` + `data:` pairs: message_start, content_block_start, content_block_delta
 *   per entry, content_block_stop, message_delta (stop reason and usage: input and output tokens,
 *   which the SDK takes as the message's totals), message_stop; an error mid-stream is
 *   `event: error`. message_start reports 0 input tokens: the count is only known at the end.
 */
import { randomUUID } from 'node:crypto';
import type { AiJobResult } from '../jobs/job-schema.js';
import type { ReplyEntry } from '../jobs/reply-stream.js';
import type { FinishReason } from '../providers/types.js';

export interface SseWriter {
  /** Frames for one entry; the first call also opens the reply. */
  entry(entry: ReplyEntry): string;
  /** Frames ending the reply with an error of the front door's own (deadline, lost entries). */
  error(message: string): string;
}

export function anthropicStopReason(reason: FinishReason | undefined): string {
  if (reason === 'length') return 'max_tokens';
  if (reason === 'content_filter') return 'refusal';
  return 'end_turn';
}

export function openAiFinishReason(reason: FinishReason | undefined): string {
  if (reason === 'length' || reason === 'content_filter') return reason;
  return 'stop';
}

/** A whole result as the entries a streamed worker would have written. */
export function entriesOf(result: AiJobResult): ReplyEntry[] {
  const end: ReplyEntry = {
    t: 'end',
    r: 0,
    n: 1,
    m: result.model,
    f: result.finishReason ?? 'stop',
    u: result.usage,
  };
  return [{ t: 'd', r: 0, n: 0, x: result.content, m: result.model }, end];
}

export function openAiSse(requestModel: string, includeUsage: boolean, now = Date.now()): SseWriter {
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(now / 1000);
  let model = requestModel;
  let opened = false;
  const chunk = (choices: unknown[], usage?: object): string =>
    `data: ${JSON.stringify({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices,
      ...(includeUsage ? { usage: usage ?? null } : {}),
    })}\n\n`;
  const open = (): string => {
    if (opened) return '';
    opened = true;
    return chunk([
      { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
    ]);
  };
  return {
    entry(entry) {
      if (entry.t === 'd') {
        if (!opened && entry.m !== undefined) model = entry.m;
        return (
          open() + chunk([{ index: 0, delta: { content: entry.x }, logprobs: null, finish_reason: null }])
        );
      }
      if (entry.t === 'err') return open() + this.error(entry.msg);
      if (!opened) model = entry.m;
      const last = chunk([
        { index: 0, delta: {}, logprobs: null, finish_reason: openAiFinishReason(entry.f) },
      ]);
      const usage = includeUsage
        ? chunk([], {
            prompt_tokens: entry.u.promptTokens,
            completion_tokens: entry.u.completionTokens,
            total_tokens: entry.u.totalTokens,
          })
        : '';
      return `${open()}${last}${usage}data: [DONE]\n\n`;
    },
    error(message) {
      const body = { error: { message, type: 'api_error', code: 'upstream_failed', param: null } };
      return `data: ${JSON.stringify(body)}\n\n`;
    },
  };
}

export function anthropicSse(requestModel: string): SseWriter {
  const id = `msg_${randomUUID().replaceAll('-', '')}`;
  let opened = false;
  const event = (type: string, data: object): string =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const open = (model: string): string => {
    if (opened) return '';
    opened = true;
    const message = {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0 },
    };
    return (
      event('message_start', { message }) +
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
    );
  };
  return {
    entry(entry) {
      if (entry.t === 'd') {
        return (
          open(entry.m ?? requestModel) +
          event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: entry.x } })
        );
      }
      if (entry.t === 'err') return open(requestModel) + this.error(entry.msg);
      return (
        open(entry.m) +
        event('content_block_stop', { index: 0 }) +
        event('message_delta', {
          delta: { stop_reason: anthropicStopReason(entry.f), stop_sequence: null },
          usage: { input_tokens: entry.u.promptTokens, output_tokens: entry.u.completionTokens },
        }) +
        event('message_stop', {})
      );
    },
    error(message) {
      return event('error', { error: { type: 'api_error', message } });
    },
  };
}
