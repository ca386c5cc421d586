/**
 * Bearer-token auth for the admin server. Tokens are compared as SHA-256 digests with
 * timingSafeEqual, so neither the content nor the length of the token leaks through timing.
 *
 * Two routes are public: the liveness probe, and the dashboard shell at `/`, which holds no data
 * (it is where the operator types the token; every figure it shows comes from an authed API call).
 * Bull Board is a server-rendered UI the browser navigates to, so it cannot send a header: under
 * `/admin/queues` only, the token is also accepted from the `aikeys_admin_token` cookie, which the
 * dashboard sets with `Path=/admin/queues; SameSite=Strict` so it goes nowhere else.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorBody } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the admin token. */
    public?: boolean;
  }
}

export const BULL_BOARD_PATH = '/admin/queues';
export const TOKEN_COOKIE = 'aikeys_admin_token';

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
  return match?.[1];
}

function cookieToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== TOKEN_COOKIE) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function underBullBoard(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path === BULL_BOARD_PATH || path.startsWith(`${BULL_BOARD_PATH}/`);
}

/** Requires the token on every non-public route; a no-op when no token is configured. */
export function installAuth(app: FastifyInstance, adminToken: string | undefined): void {
  if (adminToken === undefined || adminToken === '') return;
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public === true) return;
    const presented =
      bearerToken(request) ?? (underBullBoard(request.url) ? cookieToken(request) : undefined);
    if (presented !== undefined && tokensMatch(adminToken, presented)) return;
    const message =
      presented === undefined
        ? 'Admin token required: send Authorization: Bearer <token>'
        : 'Admin token rejected';
    // Answered here rather than thrown: Bull Board installs its own error handler for its routes,
    // which would turn a thrown 401 into its generic 500.
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="aikeys admin"')
      .type('application/json; charset=utf-8')
      .send(errorBody('UNAUTHORIZED', message));
  });
}
