/**
 * The request bodies SDKs send nearly always (string contents, known roles, plain numbers), read
 * without zod: the schemas' parse was the front door's largest own item in a CPU profile after
 * fastify. Each reader returns what its schema's parse returns for such a body, and undefined for
 * anything else (array contents, unknown roles, any invalid value), which the schema then reads
 * and words the 400 for. test/unit/gateway/plain-requests.test.ts holds them to the schemas.
 */
import type { MessagesRequest } from './anthropic-messages.js';
import type { ChatCompletionRequest } from './openai-chat.js';

type Fields = Record<string, unknown>;

const isFields = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const absent = (value: unknown): value is null | undefined => value === undefined || value === null;

const positiveInt = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;

const between = (value: unknown, low: number, high: number): value is number =>
  typeof value === 'number' && value >= low && value <= high;

const CHAT_ROLES = new Set(['system', 'developer', 'user', 'assistant']);
const MESSAGES_ROLES = new Set(['user', 'assistant']);

/** `[{ role, content: string }]` with roles of `roles`, at least one; undefined otherwise. */
function plainMessages<R extends string>(
  value: unknown,
  roles: ReadonlySet<string>,
): { role: R; content: string }[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const messages: { role: R; content: string }[] = [];
  for (const m of value as unknown[]) {
    if (!isFields(m) || typeof m.role !== 'string' || !roles.has(m.role) || typeof m.content !== 'string') {
      return undefined;
    }
    messages.push({ role: m.role as R, content: m.content });
  }
  return messages;
}

/** Keeps `key` as given when present (the schemas keep a null they allow). */
function copy(from: Fields, to: Fields, key: string): void {
  if (from[key] !== undefined) to[key] = from[key];
}

export function plainChatRequest(body: unknown): ChatCompletionRequest | undefined {
  if (!isFields(body) || typeof body.model !== 'string' || body.model.length === 0) return undefined;
  const messages = plainMessages<ChatCompletionRequest['messages'][number]['role']>(
    body.messages,
    CHAT_ROLES,
  );
  if (messages === undefined) return undefined;
  const { max_tokens, max_completion_tokens, temperature, stream, stream_options } = body;
  if (!absent(max_tokens) && !positiveInt(max_tokens)) return undefined;
  if (!absent(max_completion_tokens) && !positiveInt(max_completion_tokens)) return undefined;
  if (!absent(temperature) && !between(temperature, 0, 2)) return undefined;
  if (!absent(stream) && typeof stream !== 'boolean') return undefined;
  const request: Fields = { model: body.model, messages };
  for (const key of ['max_tokens', 'max_completion_tokens', 'temperature', 'stream'])
    copy(body, request, key);
  if (!absent(stream_options)) {
    if (!isFields(stream_options)) return undefined;
    const { include_usage } = stream_options;
    if (!absent(include_usage) && typeof include_usage !== 'boolean') return undefined;
    const options: Fields = {};
    copy(stream_options, options, 'include_usage');
    request.stream_options = options;
  } else if (stream_options === null) {
    request.stream_options = null;
  }
  return request as ChatCompletionRequest;
}

export function plainMessagesRequest(body: unknown): MessagesRequest | undefined {
  if (!isFields(body) || typeof body.model !== 'string' || body.model.length === 0) return undefined;
  const messages = plainMessages<MessagesRequest['messages'][number]['role']>(body.messages, MESSAGES_ROLES);
  if (messages === undefined || !positiveInt(body.max_tokens)) return undefined;
  const { system, temperature, stream } = body;
  if (system !== undefined && typeof system !== 'string') return undefined;
  if (temperature !== undefined && !between(temperature, 0, 1)) return undefined;
  if (stream !== undefined && typeof stream !== 'boolean') return undefined;
  const request: Fields = { model: body.model, messages, max_tokens: body.max_tokens };
  for (const key of ['system', 'temperature', 'stream']) copy(body, request, key);
  return request as MessagesRequest;
}
