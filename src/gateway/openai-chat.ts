/**
 * OpenAI's `POST /v1/chat/completions`: the request as an application's SDK sends it, checked and
 * turned into job data, and the job's result as the SDK expects it back (streamed replies:
 * sse-frames.ts). Fields this slice does not implement (tools, n > 1, response_format, ...) are
 * ignored rather than refused, as OpenAI-compatible servers commonly do.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AiJobData, AiJobResult, ChatMessage } from '../jobs/job-schema.js';
import { openAiFinishReason } from './sse-frames.js';

const textPart = z.object({ type: z.literal('text'), text: z.string() });

/** String content, or the array-of-parts form with text parts only (joined, as one message). */
const content = z.union([
  z.string(),
  z
    .array(textPart, { error: 'must be a string or an array of {type:"text", text} parts' })
    .transform((parts) => parts.map((p) => p.text).join('')),
]);

const message = z.object({
  // `developer` is what newer OpenAI models call the system role.
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content,
});

export const chatCompletionRequest = z.object({
  model: z.string().min(1, 'is required'),
  messages: z.array(message).min(1, 'must hold at least one message'),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  stream: z.boolean().nullish(),
  /** `include_usage`: the stream's last chunk carries the usage. */
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
});

export type ChatCompletionRequest = z.output<typeof chatCompletionRequest>;

export function chatJobData(request: ChatCompletionRequest, provider: string, client: string): AiJobData {
  const messages: ChatMessage[] = request.messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: m.content,
  }));
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  return {
    provider,
    model: request.model,
    messages,
    ...(maxTokens === undefined ? {} : { maxTokens }),
    ...(request.temperature == null ? {} : { temperature: request.temperature }),
    client,
  };
}

export function chatCompletionResponse(result: AiJobResult, now = Date.now()): object {
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(now / 1000),
    model: result.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: result.content, refusal: null },
        finish_reason: openAiFinishReason(result.finishReason),
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: result.usage.promptTokens,
      completion_tokens: result.usage.completionTokens,
      total_tokens: result.usage.totalTokens,
    },
  };
}
