/**
 * The browser's session: after the sign-in form accepts the admin token, the browser holds a signed
 * cookie instead of the token. The cookie says only "signed in until T"; @fastify/cookie signs it
 * (HMAC-SHA256) with a secret derived from the admin token, so no new secret has to be configured,
 * and changing the token ends every session. It is HttpOnly (no script can read it), SameSite=Strict,
 * Secure whenever the request came over HTTPS (directly or through a trusted proxy), and expires.
 */
import { createHmac } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const SESSION_COOKIE = 'aikeys_session';
export const SESSION_TTL_MS = 12 * 3600 * 1000;
const SESSION_VERSION = 'v1';

/** A secret of its own (not the token itself), so a leaked cookie signature says nothing about the token. */
export function sessionSecret(adminToken: string): Buffer {
  return createHmac('sha256', adminToken).update('aikeys admin session cookie v1').digest();
}

export async function registerSessionCookies(
  app: FastifyInstance,
  adminToken: string | undefined,
): Promise<void> {
  // Without a token there is nothing to sign in with; the parser is still registered so the
  // sign-out route can clear a cookie left over from a server that had one.
  const secret = adminToken ? sessionSecret(adminToken) : undefined;
  await app.register(fastifyCookie, secret === undefined ? {} : { secret });
}

function cookieOptions(request: FastifyRequest) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    // request.protocol is 'https' behind a trusted proxy that says X-Forwarded-Proto: https.
    secure: request.protocol === 'https',
  };
}

export function startSession(request: FastifyRequest, reply: FastifyReply, now = Date.now()): void {
  const expiresAt = now + SESSION_TTL_MS;
  reply.setCookie(SESSION_COOKIE, `${SESSION_VERSION}.${expiresAt}`, {
    ...cookieOptions(request),
    signed: true,
    maxAge: SESSION_TTL_MS / 1000,
    expires: new Date(expiresAt),
  });
}

export function endSession(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
}

export type SessionState = 'none' | 'valid' | 'invalid';

/** 'invalid' covers a bad signature, an unknown format and an expired session alike. */
export function sessionState(request: FastifyRequest, now = Date.now()): SessionState {
  const raw = request.cookies?.[SESSION_COOKIE];
  if (raw === undefined || raw === '') return 'none';
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || unsigned.value === null) return 'invalid';
  const [version, expiry, ...rest] = unsigned.value.split('.');
  if (version !== SESSION_VERSION || rest.length > 0 || !/^\d+$/.test(expiry ?? '')) return 'invalid';
  return Number(expiry) > now ? 'valid' : 'invalid';
}
