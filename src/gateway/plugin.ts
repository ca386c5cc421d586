/**
 * The front door as a fastify plugin, mounted under `/v1` on the admin server or the gateway's own
 * server: OpenAI's chat completions and models list, Anthropic's messages, each request a job on the
 * pool's queue. It is encapsulated: its client-token check, error shapes and 404 apply only here,
 * and its routes are `public` to the admin token check, since applications present their own tokens.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { describeJobDataError } from '../jobs/job-schema.js';
import {
  messagesJobData,
  messagesRequest,
  messagesResponse,
  ANTHROPIC_PROVIDER,
} from './anthropic-messages.js';
import { presentedToken, type ClientAuth } from './client-auth.js';
import type { ModelCatalogue } from './model-catalogue.js';
import { chatCompletionRequest, chatCompletionResponse, chatJobData } from './openai-chat.js';
import type { Relay } from './relay.js';
import { errorBodyFor, gatewayError, type GatewayError, type WireFormat } from './wire-errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Which provider's error shape the route answers in (front door routes only). */
    wireFormat?: WireFormat;
  }
}

export interface GatewayPluginOptions {
  readonly relay: Relay;
  readonly catalogue: ModelCatalogue;
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

/** The body checked against `schema`, or the 400 that names each bad field (never its value). */
function parse<S extends z.ZodType>(
  schema: S,
  body: unknown,
): { ok: true; value: z.output<S> } | { ok: false; error: GatewayError } {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, error: gatewayError('invalid_request', 400, describeJobDataError(parsed.error)) };
}

const STREAMING = gatewayError(
  'invalid_request',
  400,
  'streaming is not supported yet: send the request without "stream": true',
);

function notServed(model: string, provider: string): GatewayError {
  return gatewayError(
    'not_found',
    404,
    `The model ${JSON.stringify(model)} is not served by any key of the pool${provider} (GET /v1/models lists the models served now)`,
  );
}

export async function gatewayPlugin(app: FastifyInstance, options: GatewayPluginOptions): Promise<void> {
  const { relay, catalogue, auth, bodyLimit } = options;
  const clients = new WeakMap<FastifyRequest, string>();
  const clientOf = (request: FastifyRequest): string => clients.get(request)!;

  app.addHook('onRequest', async (request, reply) => {
    const token = presentedToken(request.headers);
    const name = token === undefined ? undefined : auth.identify(token);
    if (name !== undefined) {
      clients.set(request, name);
      return;
    }
    const message =
      token === undefined
        ? 'No API key: send Authorization: Bearer <token> or x-api-key: <token> (a token of AIKEYS_GATEWAY_TOKENS)'
        : 'Invalid API key: it is not one of AIKEYS_GATEWAY_TOKENS';
    return send(reply, formatOf(request), gatewayError('unauthorized', 401, message));
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
      const parsed = parse(chatCompletionRequest, request.body);
      if (!parsed.ok) return send(reply, 'openai', parsed.error);
      if (parsed.value.stream === true) return send(reply, 'openai', STREAMING);
      const provider = await catalogue.providerFor(parsed.value.model, 'openai');
      if (provider === undefined) return send(reply, 'openai', notServed(parsed.value.model, ''));
      const answer = await relay.run(chatJobData(parsed.value, provider, clientOf(request)));
      if (!answer.ok) return send(reply, 'openai', answer.error);
      return reply.send(chatCompletionResponse(answer.result));
    },
  );

  app.post(
    '/messages',
    { bodyLimit, config: { public: true, wireFormat: 'anthropic' } },
    async (request, reply) => {
      const parsed = parse(messagesRequest, request.body);
      if (!parsed.ok) return send(reply, 'anthropic', parsed.error);
      if (parsed.value.stream === true) return send(reply, 'anthropic', STREAMING);
      const provider = await catalogue.providerFor(parsed.value.model, 'anthropic');
      if (provider !== ANTHROPIC_PROVIDER) {
        return send(reply, 'anthropic', notServed(parsed.value.model, ` of provider ${ANTHROPIC_PROVIDER}`));
      }
      const answer = await relay.run(messagesJobData(parsed.value, clientOf(request)));
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
