/**
 * Anthropic's Messages API (`POST /v1/messages`): a plain call is one `fetch` (json-call.ts says
 * why not the SDK); a streamed one goes through `@anthropic-ai/sdk` for its event parser.
 * Differences from the OpenAI wire format that matter here:
 * - system messages are not messages: they go, joined, into the top-level `system` field;
 * - `max_tokens` is required: DEFAULT_COMPLETION_TOKENS when the job sets none (the same number
 *   the lease reserves for it);
 * - usage is `input_tokens` / `output_tokens`; prompt-cache reads and writes are input too.
 * The SDK client is constructed per streamed call like the OpenAI one (~32 µs measured, against a
 * network call of milliseconds; one shared connection pool). Every option the SDK would read from process.env
 * (base URL, auth token, log level) is set explicitly.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { Secret } from '../core/secret.js';
import { DEFAULT_COMPLETION_TOKENS } from '../pricing/estimate-tokens.js';
import { unreadableReply } from './classify.js';
import { anthropicFinishReason, anthropicStreamReader } from './anthropic-stream.js';
import { callForJson } from './json-call.js';
import { streamThroughSdk } from './sdk-stream.js';
import type {
  ChatCallOptions,
  ChatMessage,
  ChatProvider,
  ChatRequest,
  ChatResult,
  DeltaListener,
} from './types.js';
import { checkUsage, sumOfParts } from './usage-check.js';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** The API version every request names (the one the SDK sends). */
export const ANTHROPIC_VERSION = '2023-06-01';

export interface AnthropicOptions {
  readonly name: string;
  /** Undefined = Anthropic's own API. The SDK appends `/v1/messages`. */
  readonly baseUrl: string | undefined;
  readonly now?: () => number;
}

export interface AnthropicMessages {
  readonly system: string | undefined;
  readonly messages: { role: 'user' | 'assistant'; content: string }[];
}

/** Splits a chat into Anthropic's `system` field and its user/assistant turns, order kept. */
export function toAnthropicMessages(messages: readonly ChatMessage[]): AnthropicMessages {
  const system: string[] = [];
  const turns: { role: 'user' | 'assistant'; content: string }[] = [];
  for (const message of messages) {
    if (message.role === 'system') system.push(message.content);
    else turns.push({ role: message.role, content: message.content });
  }
  return { system: system.length === 0 ? undefined : system.join('\n\n'), messages: turns };
}

interface MessageShape {
  readonly model?: unknown;
  readonly content?: unknown;
  readonly stop_reason?: unknown;
  readonly usage?: {
    readonly input_tokens?: unknown;
    readonly output_tokens?: unknown;
    readonly cache_creation_input_tokens?: unknown;
    readonly cache_read_input_tokens?: unknown;
  };
}

export function readAnthropicMessage(
  provider: string,
  reply: unknown,
  request: ChatRequest,
  secret: Secret,
): ChatResult {
  if (typeof reply !== 'object' || reply === null) {
    const preview =
      typeof reply === 'string' ? `not JSON: ${JSON.stringify(reply.slice(0, 80))}` : `got ${typeof reply}`;
    return unreadableReply(provider, 200, preview, secret);
  }
  const shape = reply as MessageShape;
  if (!Array.isArray(shape.content)) {
    return unreadableReply(provider, 200, 'no content blocks in the reply', secret);
  }
  const text = (shape.content as unknown[])
    .filter((block): block is { type: 'text'; text: string } => {
      const b = block as { type?: unknown; text?: unknown } | null;
      return b !== null && b.type === 'text' && typeof b.text === 'string';
    })
    .map((block) => block.text)
    .join('');
  // Prompt-cache writes and reads are input tokens too. A reply without usage is still an answer:
  // its tokens are then counted here (checkUsage).
  const usage = typeof shape.usage === 'object' && shape.usage !== null ? shape.usage : undefined;
  const reported = usage && {
    prompt: sumOfParts(usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens),
    completion: usage.output_tokens,
  };
  const model = typeof shape.model === 'string' && shape.model !== '' ? shape.model : request.model;
  const finishReason = anthropicFinishReason(shape.stop_reason);
  return {
    ok: true,
    content: text,
    model,
    usage: checkUsage(reported, request.messages, text),
    status: 200,
    ...(finishReason === undefined ? {} : { finishReason }),
  };
}

function wireMessages(request: ChatRequest) {
  const { system, messages } = toAnthropicMessages(request.messages);
  return {
    model: request.model,
    max_tokens: request.maxTokens ?? DEFAULT_COMPLETION_TOKENS,
    messages,
    ...(system === undefined ? {} : { system }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
  };
}

export function createAnthropicProvider(options: AnthropicOptions): ChatProvider {
  const { name } = options;
  const baseURL = options.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL;
  const messagesUrl = `${baseURL.replace(/\/+$/, '')}/v1/messages`;
  const now = options.now ?? Date.now;

  const clientFor = (secret: Secret, callOptions: ChatCallOptions): Anthropic =>
    new Anthropic({
      apiKey: secret.reveal(),
      authToken: null,
      baseURL,
      maxRetries: 0,
      timeout: callOptions.timeoutMs,
      logLevel: 'off',
    });

  async function chat(
    request: ChatRequest,
    credentials: { readonly secret: Secret },
    callOptions: ChatCallOptions,
  ): Promise<ChatResult> {
    const { secret } = credentials;
    const headers = {
      'x-api-key': secret.reveal(),
      'anthropic-version': ANTHROPIC_VERSION,
      'content-type': 'application/json',
    };
    return callForJson(
      { provider: name, secret, callOptions, now },
      { url: messagesUrl, headers, body: wireMessages(request) },
      (reply) => readAnthropicMessage(name, reply, request, secret),
    );
  }

  async function chatStream(
    request: ChatRequest,
    credentials: { readonly secret: Secret },
    callOptions: ChatCallOptions,
    onDelta: DeltaListener,
  ): Promise<ChatResult> {
    const client = clientFor(credentials.secret, callOptions);
    const { secret } = credentials;
    return streamThroughSdk(
      { provider: name, secret, request, callOptions, now },
      (requestOptions) => client.messages.create({ ...wireMessages(request), stream: true }, requestOptions),
      anthropicStreamReader(name, request, secret, onDelta),
    );
  }

  return { name, chat, chatStream };
}
