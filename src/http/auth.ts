/**
 * Auth for the admin server. Scripts and the CLI send `Authorization: Bearer <token>`; the browser
 * signs in once through the form at /sign-in and then holds a signed session cookie (session.ts),
 * never the token. Tokens are compared as SHA-256 digests with timingSafeEqual, so neither the
 * content nor the length of the token leaks through timing.
 *
 * Failed attempts (a wrong bearer token here, a wrong token in the sign-in form) are counted per
 * client address by @fastify/rate-limit; past the limit every attempt from that address is refused
 * with 429 and Retry-After before the token is even compared, the right token included, so the
 * limit really bounds guessing. Successful requests are never counted. Requests with no credential
 * at all, or with an expired session cookie, are not guesses and are not counted either: a
 * dashboard left open overnight must not lock its operator out.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './errors.js';
import { endSession, sessionState } from './session.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the admin token. */
    public?: boolean;
  }
  interface FastifyRequest {
    /** How this request was authenticated; 'open' when the server has no token. */
    adminAuth?: AdminAuth;
  }
}

export type AdminAuth = 'bearer' | 'session' | 'open';

export const BULL_BOARD_PATH = '/admin/queues';
export const SIGN_IN_PATH = '/sign-in';
export const FAILED_AUTH_LIMIT = 10;
export const FAILED_AUTH_WINDOW_MS = 60_000;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function tokensMatch(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented));
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  // Any Authorization header is an attempt: a wrong scheme is as wrong as a wrong token.
  return match?.[1] ?? '';
}

/** Counts failed attempts per client address; see the file comment. */
export interface FailedAuthLimiter {
  /** Seconds to wait when the address is over the limit, without counting this request. */
  blockedFor(request: FastifyRequest): Promise<number | null>;
  /** Counts one failure; seconds to wait when that put the address over the limit. */
  fail(request: FastifyRequest): Promise<number | null>;
}

export function createFailedAuthLimiter(app: FastifyInstance): FailedAuthLimiter {
  const check = app.createRateLimit({
    max: FAILED_AUTH_LIMIT,
    timeWindow: FAILED_AUTH_WINDOW_MS,
    // Keyed by address only (request.ip honours X-Forwarded-For from a trusted proxy alone).
    keyGenerator: (request) => request.ip,
  });
  const wait = (ttlInSeconds: number) => Math.max(1, ttlInSeconds);
  return {
    async blockedFor(request) {
      const limit = await check(request, { increment: false });
      // The limit's worth of failures used up: the next attempt would be one too many.
      if (limit.isAllowed || (limit.remaining > 0 && !limit.isExceeded)) return null;
      return wait(limit.ttlInSeconds);
    },
    async fail(request) {
      const limit = await check(request);
      return limit.isAllowed || !limit.isExceeded ? null : wait(limit.ttlInSeconds);
    },
  };
}

export function sendTooManyAttempts(reply: FastifyReply, seconds: number): FastifyReply {
  return reply
    .code(429)
    .header('retry-after', String(seconds))
    .type('application/json; charset=utf-8')
    .send(
      errorBody(
        'TOO_MANY_FAILED_ATTEMPTS',
        `Too many failed sign-in attempts from this address; try again in ${seconds} s`,
      ),
    );
}

function sendUnauthorized(request: FastifyRequest, reply: FastifyReply, message: string): FastifyReply {
  // The dashboard is a page the browser navigates to: send it to the sign-in form instead.
  if (request.method === 'GET' && request.url.split('?')[0] === '/') {
    return reply.redirect(SIGN_IN_PATH, 303);
  }
  // Answered here rather than thrown: Bull Board installs its own error handler for its routes,
  // which would turn a thrown 401 into its generic 500.
  return reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="aikeys admin"')
    .type('application/json; charset=utf-8')
    .send(errorBody('UNAUTHORIZED', message));
}

/** Requires the token or a session on every non-public route; marks requests 'open' without a token. */
export function installAuth(
  app: FastifyInstance,
  adminToken: string | undefined,
  limiter: FailedAuthLimiter,
): void {
  if (adminToken === undefined || adminToken === '') {
    app.addHook('onRequest', async (request) => {
      request.adminAuth = 'open';
    });
    return;
  }
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public === true) return;
    const presented = bearerToken(request);
    if (presented !== undefined) {
      const wait = await limiter.blockedFor(request);
      if (wait !== null) return sendTooManyAttempts(reply, wait);
      if (tokensMatch(adminToken, presented)) {
        request.adminAuth = 'bearer';
        return;
      }
      const over = await limiter.fail(request);
      if (over !== null) return sendTooManyAttempts(reply, over);
      return sendUnauthorized(request, reply, 'Admin token rejected');
    }
    const session = sessionState(request);
    if (session === 'valid') {
      request.adminAuth = 'session';
      return;
    }
    if (session === 'invalid') endSession(request, reply);
    return sendUnauthorized(
      request,
      reply,
      session === 'invalid'
        ? `Session expired or invalid: sign in again at ${SIGN_IN_PATH}`
        : `Admin token required: send Authorization: Bearer <token>, or sign in at ${SIGN_IN_PATH}`,
    );
  });
}
