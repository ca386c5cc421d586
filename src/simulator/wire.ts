/**
 * Reply bodies in each wire format, shaped like the real providers' so the official SDKs parse
 * (and fail on) them exactly as they would in production.
 */
import { randomUUID } from 'node:crypto';

export type WireApi = 'openai' | 'anthropic';

export interface SimulatedUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** `usage` undefined: a reply without usage, as some OpenAI-compatible servers send. */
export function successBody(
  api: WireApi,
  model: string,
  content: string,
  usage: SimulatedUsage | undefined,
): unknown {
  if (api === 'anthropic') {
    return {
      id: `msg_sim_${randomUUID()}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text: content }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      ...(usage === undefined
        ? {}
        : { usage: { input_tokens: usage.promptTokens, output_tokens: usage.completionTokens } }),
    };
  }
  return {
    id: `chatcmpl-sim-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        finish_reason: 'stop',
        logprobs: null,
      },
    ],
    ...(usage === undefined
      ? {}
      : {
          usage: {
            prompt_tokens: usage.promptTokens,
            completion_tokens: usage.completionTokens,
            total_tokens: usage.promptTokens + usage.completionTokens,
          },
        }),
  };
}

const ANTHROPIC_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'api_error',
};

export function errorBody(api: WireApi, status: number, message: string, code: string | null): unknown {
  if (api === 'anthropic') {
    return { type: 'error', error: { type: ANTHROPIC_ERROR_TYPES[status] ?? 'api_error', message } };
  }
  return { error: { message, type: code ?? 'server_error', param: null, code } };
}

/** How OpenAI echoes a wrong key: its first 8 and last 4 characters around asterisks. */
export function openAiStyleKeyEcho(key: string): string {
  return key.length <= 12
    ? '****'
    : `${key.slice(0, 8)}${'*'.repeat(Math.min(20, key.length - 12))}${key.slice(-4)}`;
}
