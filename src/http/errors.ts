/**
 * One JSON error shape for every route: `{ error: { code, message } }`. AikeysError codes pass
 * through (they are stable and their messages are written for operators, never carrying secrets);
 * anything else becomes a 500 whose message is not echoed, since it may quote internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ZodError } from 'zod';
import { AikeysError } from '../core/errors.js';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Codes the HTTP layer raises itself, with their status. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  ACTIONS_UNAVAILABLE: 503,
};

/** Status for an AikeysError from anywhere: the table first, then the code's conventional suffix. */
export function statusForAikeysError(error: AikeysError): number {
  const known = STATUS_BY_CODE[error.code];
  if (known !== undefined) return known;
  if (error.code.endsWith('_NOT_FOUND')) return 404;
  if (error.code.endsWith('_INVALID')) return 400;
  if (error.code.endsWith('_CONFLICT')) return 409;
  return error.retryable ? 503 : 500;
}

export function validationError(error: ZodError, where: string): AikeysError {
  const issues = error.issues.map((i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`);
  return new AikeysError('VALIDATION_FAILED', issues.join('; '));
}

function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(errorBody(code, message));
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AikeysError | Error, request, reply) => {
    if (error instanceof AikeysError) {
      const status = statusForAikeysError(error);
      if (status >= 500) request.log.error({ err: error, code: error.code }, 'admin request failed');
      return sendError(reply, status, error.code, error.message);
    }
    if (error instanceof ZodError) {
      const wrapped = validationError(error, 'request');
      return sendError(reply, 400, wrapped.code, wrapped.message);
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      return sendError(reply, 400, 'VALIDATION_FAILED', fastifyError.message);
    }
    // Fastify's own client errors (bad JSON, unsupported media type, body too large) are safe to echo.
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendError(reply, status, fastifyError.code ?? 'BAD_REQUEST', fastifyError.message);
    }
    request.log.error({ err: error }, 'admin request failed');
    return sendError(reply, 500, 'INTERNAL_ERROR', 'Internal server error; see the server log');
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0] ?? ''}`),
  );
}
