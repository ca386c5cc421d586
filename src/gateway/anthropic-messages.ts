/**
 * Anthropic's `POST /v1/messages`, served by Anthropic-format keys (and, with
 * AIKEYS_GATEWAY_TRANSLATE, by OpenAI-format keys: the job data is the same neutral chat either
 * way, and each provider adapter writes its own wire format): the request as the SDK sends it,
 * checked and turned into job data, and the job's result as the SDK expects it back. Text content
 * only: images, documents and tool blocks are refused by name, since the job contract carries text.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AiJobData, AiJobResult, ChatMessage } from '../jobs/job-schema.js';
import { anthropicStopReason } from './sse-frames.js';

const textBlock = z.object({ type: z.literal('text'), text: z.string() });

const blocks = z
  .array(textBlock, { error: 'must be a string or an array of {type:"text", text} blocks (text only)' })
  .transform((list) => list.map((b) => b.text).join(''));

const text = z.union([z.string(), blocks]);

export const messagesRequest = z.object({
  model: z.string().min(1, 'is required'),
  system: text.optional(),
  messages: z
    .array(z.object({ role: z.enum(['user', 'assistant']), content: text }))
    .min(1, 'must hold at least one message'),
  max_tokens: z.number().int().positive(),
  temperature: z.number().min(0).max(1).optional(),
  stream: z.boolean().optional(),
});

export type MessagesRequest = z.output<typeof messagesRequest>;

export function messagesJobData(request: MessagesRequest, provider: string, client: string): AiJobData {
  const messages: ChatMessage[] = [];
  if (request.system !== undefined && request.system !== '') {
    messages.push({ role: 'system', content: request.system });
  }
  for (const m of request.messages) messages.push({ role: m.role, content: m.content });
  return {
    provider,
    model: request.model,
    messages,
    maxTokens: request.max_tokens,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    client,
  };
}

export function messagesResponse(result: AiJobResult): object {
  return {
    id: `msg_${randomUUID().replaceAll('-', '')}`,
    type: 'message',
    role: 'assistant',
    model: result.model,
    content: [{ type: 'text', text: result.content }],
    stop_reason: anthropicStopReason(result.finishReason),
    stop_sequence: null,
    usage: { input_tokens: result.usage.promptTokens, output_tokens: result.usage.completionTokens },
  };
}
