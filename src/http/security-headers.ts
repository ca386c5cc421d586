/**
 * Security headers on every response, errors and Bull Board included (@fastify/helmet, global). The
 * default CSP is what Bull Board's UI needs: its scripts and stylesheet from this server, inline
 * styles (its loading screen and React's style attributes), a `<base href>` to its own path, and
 * JSON from its API; the Google font it links is left out (the admin host may have no internet, and
 * the UI falls back to a system font). The dashboard and the sign-in page send stricter CSPs of
 * their own. No `upgrade-insecure-requests`: on a plain-HTTP admin port it would break every page.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export const DEFAULT_CSP_DIRECTIVES = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: DEFAULT_CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}
