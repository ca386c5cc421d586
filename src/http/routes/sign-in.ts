/**
 * `GET /sign-in` (the form), `POST /sign-in` (checks the token, sets the session cookie, goes to the
 * dashboard) and `POST /sign-out` (clears it). The form is plain HTML without script; the token
 * travels once, in the form's body, and the browser keeps only the signed session (session.ts).
 * Failed sign-ins count against the same per-address limit as wrong bearer tokens (auth.ts).
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SIGN_IN_PATH, tokensMatch, type FailedAuthLimiter } from '../auth.js';
import { endSession, startSession } from '../session.js';

const DASHBOARD_DIR = new URL('../dashboard/', import.meta.url);
const MAX_FORM_BYTES = 4096;

/** No script at all, and the form may post only to this server. */
const SIGN_IN_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function loadSignInPage(): Promise<(message: string) => string> {
  const [page, css] = await Promise.all(
    ['sign-in.html', 'dashboard.css'].map((f) => readFile(new URL(f, DASHBOARD_DIR), 'utf8')),
  );
  const base = (page ?? '').replace('/*{{CSS}}*/', () => css ?? '');
  return (message) =>
    base
      .replace('{{MESSAGE_HIDDEN}}', message === '' ? 'hidden' : '')
      .replace('{{MESSAGE}}', () => escapeHtml(message));
}

export async function registerSignInRoutes(
  app: FastifyInstance,
  adminToken: string | undefined,
  limiter: FailedAuthLimiter,
): Promise<void> {
  const render = await loadSignInPage();
  const sendPage = (reply: FastifyReply, status: number, message: string) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', SIGN_IN_CSP)
      .header('cache-control', 'no-store')
      .send(render(message));

  // A scope of its own, so that form bodies are accepted by the sign-in form and nowhere else.
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: MAX_FORM_BYTES },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );

    scope.get(SIGN_IN_PATH, { config: { public: true } }, async (_request, reply) => {
      if (!adminToken) return reply.redirect('/', 303);
      return sendPage(reply, 200, '');
    });

    scope.post(SIGN_IN_PATH, { config: { public: true } }, async (request, reply) => {
      if (!adminToken) return reply.redirect('/', 303);
      const wait = await limiter.blockedFor(request);
      if (wait !== null) {
        reply.header('retry-after', String(wait));
        return sendPage(reply, 429, `Too many failed attempts from this address; try again in ${wait} s.`);
      }
      const body = request.body as Record<string, unknown> | undefined;
      const token = typeof body?.token === 'string' ? body.token.trim() : '';
      if (token !== '' && tokensMatch(adminToken, token)) {
        startSession(request, reply);
        request.log.info({ ip: request.ip }, 'admin signed in');
        return reply.redirect('/', 303);
      }
      request.log.warn({ ip: request.ip }, 'admin sign-in refused: wrong token');
      const over = await limiter.fail(request);
      if (over !== null) {
        reply.header('retry-after', String(over));
        return sendPage(reply, 429, `Too many failed attempts from this address; try again in ${over} s.`);
      }
      return sendPage(reply, 401, 'That is not the admin token.');
    });

    scope.post('/sign-out', { config: { public: true } }, async (request, reply) => {
      endSession(request, reply);
      return reply.redirect(adminToken ? SIGN_IN_PATH : '/', 303);
    });
  });
}
