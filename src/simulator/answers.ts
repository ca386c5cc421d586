/**
 * What the simulated provider answers to one parsed request: the key's behaviour (key-behaviour.ts)
 * applied, or a success that echoes the last user message (`echo: <text>`, first 200 characters)
 * so an end-to-end test can check that each job received its own answer. Usage counts tokens like
 * the real thing (gpt-tokenizer, the same count the lease reserves) or, with
 * `tokenCounting: 'approx'`, as characters / 4 for benchmarks that want the CPU elsewhere.
 */
import { maskSecret } from '../core/secret.js';
import { countTextTokens, estimatePromptTokens } from '../pricing/estimate-tokens.js';
import { behaviourForKey, type KeyBehaviour } from './key-behaviour.js';
import type { StreamedAnswer } from './stream-wire.js';
import { errorBody, openAiStyleKeyEcho, successBody, type WireApi } from './wire.js';

export interface RecordedRequest {
  readonly api: WireApi;
  readonly model: string;
  /** Anthropic's top-level `system` field as received. */
  readonly system: string | undefined;
  readonly messages: readonly { readonly role: string; readonly content: string }[];
  readonly maxTokens: number | undefined;
  readonly maskedKey: string;
}

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly extraDelayMs?: number;
  /** Sent as-is with a JSON content type: the garbage reply. */
  readonly raw?: string;
  /** A `stream: true` request's reply, sent as server-sent events (stream-wire.ts). */
  readonly stream?: StreamedAnswer;
}

const ECHO_CHARS = 200;

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : '',
      )
      .join('');
  }
  return '';
}

export interface AnswererOptions {
  readonly random: () => number;
  readonly rules: Readonly<Record<string, KeyBehaviour>>;
  readonly tokenCounting: 'exact' | 'approx';
  readonly record?: (request: RecordedRequest) => void;
}

export function createAnswerer(
  options: AnswererOptions,
): (api: WireApi, key: string, payload: Record<string, unknown>) => Answer {
  const behaviours = new Map<string, KeyBehaviour>();
  const limitState = new Map<string, { count: number; firstAt: number }>();
  const exact = options.tokenCounting === 'exact';

  const behaviourOf = (key: string): KeyBehaviour => {
    let behaviour = behaviours.get(key);
    if (behaviour === undefined) {
      behaviour = options.rules[key] ?? behaviourForKey(key);
      behaviours.set(key, behaviour);
    }
    return behaviour;
  };

  const countPrompt = (messages: { content: string }[]): number =>
    exact
      ? estimatePromptTokens(messages)
      : 3 + messages.reduce((sum, m) => sum + 4 + Math.ceil(m.content.length / 4), 0);

  function decide(api: WireApi, key: string, payload: Record<string, unknown>): Answer {
    const model = typeof payload.model === 'string' ? payload.model : 'sim-model';
    const rawMessages = Array.isArray(payload.messages) ? (payload.messages as unknown[]) : undefined;
    if (rawMessages === undefined) {
      return { status: 400, body: errorBody(api, 400, "'messages' is required", 'invalid_request_error') };
    }
    const messages = rawMessages.map((m) => {
      const entry = (typeof m === 'object' && m !== null ? m : {}) as { role?: unknown; content?: unknown };
      return { role: typeof entry.role === 'string' ? entry.role : 'user', content: textOf(entry.content) };
    });
    const system = api === 'anthropic' ? textOf(payload.system) || undefined : undefined;
    const maxTokens = typeof payload.max_tokens === 'number' ? payload.max_tokens : undefined;
    options.record?.({ api, model, system, messages, maxTokens, maskedKey: maskSecret(key) });

    // A request's own fault, whatever the key: lets tests check that it costs the key nothing.
    if (model.startsWith('missing-')) {
      return {
        status: 404,
        body: errorBody(api, 404, `The model \`${model}\` does not exist`, 'model_not_found'),
      };
    }
    const behaviour = behaviourOf(key);
    switch (behaviour.kind) {
      case 'auth_failed':
        return {
          status: 401,
          body: errorBody(
            api,
            401,
            api === 'anthropic'
              ? 'invalid x-api-key'
              : `Incorrect API key provided: ${openAiStyleKeyEcho(key)}.`,
            'invalid_api_key',
          ),
        };
      case 'payment_required':
        return {
          status: 402,
          body: errorBody(api, 402, 'Payment required: insufficient_quota', 'insufficient_quota'),
        };
      case 'insufficient_quota':
        return api === 'anthropic'
          ? {
              status: 400,
              body: errorBody(api, 400, 'Your credit balance is too low to access the Anthropic API.', null),
            }
          : {
              status: 429,
              body: errorBody(
                api,
                429,
                'You exceeded your current quota, please check your plan and billing details.',
                'insufficient_quota',
              ),
            };
      case 'rate_limited': {
        const now = Date.now();
        const state = limitState.get(key) ?? { count: 0, firstAt: now };
        state.count += 1;
        limitState.set(key, state);
        const elapsedS = (now - state.firstAt) / 1000;
        const limited =
          behaviour.firstRequests !== undefined
            ? state.count <= behaviour.firstRequests
            : behaviour.windowSeconds !== undefined
              ? elapsedS < behaviour.windowSeconds
              : true;
        if (limited) {
          const retryAfter =
            behaviour.windowSeconds !== undefined
              ? Math.max(1, Math.ceil(behaviour.windowSeconds - elapsedS))
              : behaviour.retryAfterSeconds;
          return {
            status: 429,
            headers: { 'retry-after': String(retryAfter) },
            body: errorBody(api, 429, 'Rate limit reached for requests (simulated).', 'rate_limit_exceeded'),
          };
        }
        break;
      }
      case 'server_error':
        return { status: 500, body: errorBody(api, 500, 'The server had an error (simulated).', null) };
      case 'flaky':
        if (options.random() * 100 < behaviour.percent) {
          return {
            status: 500,
            body: errorBody(api, 500, 'The server had an error (simulated, flaky).', null),
          };
        }
        break;
      case 'garbage':
        return {
          status: 200,
          body: undefined,
          raw: '<html><body>502 Bad Gateway (simulated garbage)</body></html>',
        };
      case 'hollow':
        return { status: 200, body: {} };
      case 'mid_stream_failure':
        if (payload.stream !== true) {
          return { status: 500, body: errorBody(api, 500, 'The server had an error (simulated).', null) };
        }
        break;
      case 'slow':
      case 'ok':
      case 'no_usage':
      case 'drip':
        break;
    }

    const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const content = `echo: ${lastUser.slice(0, ECHO_CHARS)}`;
    const promptMessages = system === undefined ? messages : [{ content: system }, ...messages];
    const completion = exact ? countTextTokens(content) : Math.ceil(content.length / 4);
    const usage = {
      promptTokens: countPrompt(promptMessages),
      completionTokens: maxTokens === undefined ? completion : Math.min(completion, maxTokens),
    };
    const delay = behaviour.kind === 'slow' ? { extraDelayMs: behaviour.delayMs } : {};
    const withUsage = behaviour.kind !== 'no_usage';
    if (payload.stream === true) {
      const options = payload.stream_options as { include_usage?: unknown } | undefined;
      // Anthropic always streams usage; OpenAI only when asked.
      const streamUsage = withUsage && (api === 'anthropic' || options?.include_usage === true);
      const stream: StreamedAnswer = {
        model,
        content,
        usage: streamUsage ? usage : undefined,
        pieceDelayMs: behaviour.kind === 'drip' ? behaviour.pieceDelayMs : 0,
        ...(behaviour.kind === 'mid_stream_failure' ? { breakAfter: 1 } : {}),
      };
      return { status: 200, body: undefined, stream, ...delay };
    }
    return { status: 200, body: successBody(api, model, content, withUsage ? usage : undefined), ...delay };
  }

  return decide;
}
