/**
 * The front door as a fastify plugin, mounted under `/v1` on the admin server or the gateway's own
 * server: OpenAI's chat completions and models list, Anthropic's messages, each request a job on the
 * pool's queue. It is encapsulated: its client-token check, error shapes and 404 apply only here,
 * and its routes are `public` to the admin token check, since applications present their own tokens.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { describeJobDataError } from '../jobs/job-schema.js';
import { messagesJobData, messagesRequest, messagesResponse } from './anthropic-messages.js';
import { presentedToken, type ClientAuth } from './client-auth.js';
import { lazyChildLogger } from './lazy-request-logger.js';
import type { ModelCatalogue } from './model-catalogue.js';
import { plainChatRequest, plainMessagesRequest } from './plain-requests.js';
import { chatCompletionRequest, chatCompletionResponse, chatJobData } from './openai-chat.js';
import type { Relay } from './relay.js';
import { anthropicSse, openAiSse, type SseWriter } from './sse-frames.js';
import { sendEventStream } from './stream-reply.js';
import type { StreamRelay } from './stream-relay.js';
import type { AiJobData } from '../jobs/job-schema.js';
import { errorBodyFor, gatewayError, type GatewayError, type WireFormat } from './wire-errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which provider's error shape the route answers in (front door routes only). */
    wireFormat?: WireFormat;
  }
  interface FastifyRequest {
    /** The front door's client (AIKEYS_GATEWAY_TOKENS name) once its token is checked. */
    gatewayClient: string;
  }
}

export interface GatewayPluginOptions {
  readonly relay: Relay;
  readonly streams: StreamRelay;
  readonly catalogue: ModelCatalogue;
  /** AIKEYS_GATEWAY_TRANSLATE: OpenAI-format keys may serve /v1/messages. */
  readonly translate: boolean;
  readonly auth: ClientAuth;
  /** Largest request body, bytes: sized from AI_MAX_PROMPT_BYTES by the caller. */
  readonly bodyLimit: number;
}

/** The body a request may have for a prompt of `maxPromptBytes`: JSON escaping and fields on top. */
export function gatewayBodyLimit(maxPromptBytes: number): number {
  return maxPromptBytes * 2 + 256 * 1024;
}

function send(reply: FastifyReply, format: WireFormat, error: GatewayError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  if (error.kind === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="aikeys"');
  return reply.code(error.status).type('application/json; charset=utf-8').send(errorBodyFor(format, error));
}

function formatOf(request: FastifyRequest): WireFormat {
  return request.routeOptions.config.wireFormat ?? 'openai';
}

/**
 * The body checked against `schema`, or the 400 that names each bad field (never its value). The
 * common shape is read by `plain` (plain-requests.ts) without the schema.
 */
function parse<S extends z.ZodType>(
  schema: S,
  plain: (body: unknown) => z.output<S> | undefined,
  body: unknown,
): { ok: true; value: z.output<S> } | { ok: false; error: GatewayError } {
  const value = plain(body);
  if (value !== undefined) return { ok: true, value };
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: gatewayError('invalid_request', 400, describeJobDataError(parsed.error)) };
}

function notServed(model: string, provider: string): GatewayError {
  return gatewayError(
    'not_found',
    404,
    `The model ${JSON.stringify(model)} is not served by any key of the pool${provider} (GET /v1/models lists the models served now)`,
  );
}

export async function gatewayPlugin(app: FastifyInstance, options: GatewayPluginOptions): Promise<void> {
  const { relay, streams, catalogue, auth, bodyLimit, translate } = options;

  /** A streamed request: a JSON error until the first entry, server-sent events from then on. */
  async function stream(
    reply: FastifyReply,
    format: WireFormat,
    data: AiJobData,
    writer: SseWriter,
  ): Promise<FastifyReply> {
    const start = await streams.start(data);
    if (!start.ok) return send(reply, format, start.error);
    await sendEventStream(reply, streams, start, writer);
    return reply;
  }
  app.setChildLoggerFactory(lazyChildLogger);
  // The client's name rides on the request (a decorated field: no per-request map entry); the hook
  // is synchronous, as nothing in it waits.
  app.decorateRequest('gatewayClient', '');
  app.addHook('onRequest', (request, reply, done) => {
    const token = presentedToken(request.headers);
    const name = token === undefined ? undefined : auth.identify(token, request.raw.socket);
    if (name !== undefined) {
      request.gatewayClient = name;
      return done();
    }
    const message =
      token === undefined
        ? 'No API key: send Authorization: Bearer <token> or x-api-key: <token> (a token of AIKEYS_GATEWAY_TOKENS)'
        : 'Invalid API key: it is not one of AIKEYS_GATEWAY_TOKENS';
    send(reply, formatOf(request), gatewayError('unauthorized', 401, message));
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode;
    // fastify's own client errors (bad JSON, body too large, wrong content type) are safe to echo.
    if (status !== undefined && status >= 400 && status < 500) {
      const kind = status === 413 ? 'too_large' : 'invalid_request';
      return send(reply, formatOf(request), gatewayError(kind, status, error.message));
    }
    request.log.error({ err: error }, 'front door request failed');
    return send(
      reply,
      formatOf(request),
      gatewayError('unavailable', 503, 'The front door could not take the request; see the aikeys log'),
    );
  });
  app.setNotFoundHandler((request, reply) =>
    send(
      reply,
      'openai',
      gatewayError('no_route', 404, `No route ${request.method} ${request.url.split('?')[0] ?? ''}`),
    ),
  );

  app.post(
    '/chat/completions',
    { bodyLimit, config: { public: true, wireFormat: 'openai' } },
    async (request, reply) => {
      const parsed = parse(chatCompletionRequest, plainChatRequest, request.body);
      if (!parsed.ok) return send(reply, 'openai', parsed.error);
      const { model } = parsed.value;
      const provider = await catalogue.providerFor(model, 'openai');
      if (provider === undefined) return send(reply, 'openai', notServed(model, ''));
      const data = chatJobData(parsed.value, provider, request.gatewayClient);
      if (parsed.value.stream === true) {
        const includeUsage = parsed.value.stream_options?.include_usage === true;
        return stream(reply, 'openai', data, openAiSse(model, includeUsage));
      }
      const answer = await relay.run(data);
      if (!answer.ok) return send(reply, 'openai', answer.error);
      return reply.send(chatCompletionResponse(answer.result));
    },
  );

  app.post(
    '/messages',
    { bodyLimit, config: { public: true, wireFormat: 'anthropic' } },
    async (request, reply) => {
      const parsed = parse(messagesRequest, plainMessagesRequest, request.body);
      if (!parsed.ok) return send(reply, 'anthropic', parsed.error);
      const { model } = parsed.value;
      const provider =
        (await catalogue.providerFor(model, 'anthropic')) ??
        (translate ? await catalogue.providerFor(model, 'openai') : undefined);
      if (provider === undefined) {
        const which = translate
          ? ''
          : ' in Anthropic format (AIKEYS_GATEWAY_TRANSLATE=true lets OpenAI-format keys serve it)';
        return send(reply, 'anthropic', notServed(model, which));
      }
      const data = messagesJobData(parsed.value, provider, request.gatewayClient);
      if (parsed.value.stream === true) return stream(reply, 'anthropic', data, anthropicSse(model));
      const answer = await relay.run(data);
      if (!answer.ok) return send(reply, 'anthropic', answer.error);
      return reply.send(messagesResponse(answer.result));
    },
  );

  app.get('/models', { config: { public: true, wireFormat: 'openai' } }, async () => {
    const seen = new Set<string>();
    const data = [];
    for (const m of await catalogue.list()) {
      if (!m.active || seen.has(m.model)) continue;
      seen.add(m.model);
      data.push({ id: m.model, object: 'model', created: m.createdAt, owned_by: m.provider });
    }
    return { object: 'list', data };
  });
}
