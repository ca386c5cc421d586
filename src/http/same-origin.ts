/**
 * Cross-site request protection. A browser attaches the session cookie to any request to this
 * server, even one a foreign page starts (a form post, a fetch), so a state-changing request must
 * show it comes from this server's own pages: `Sec-Fetch-Site: same-origin` (every current browser
 * sends it) or, from older browsers, an `Origin` equal to this server's. Exempt are requests with
 * an `Authorization` header (a foreign page cannot add one without a CORS preflight, which this
 * server never grants) and requests with neither header nor session cookie: a browser always sends
 * Origin on a cross-origin POST, so such a request is a script (curl, the CLI) holding no ambient
 * credential. The rule also guards the server without a token, whose open loopback API a foreign
 * page could otherwise drive, and Bull Board's own PUT/POST/DELETE routes under /admin/queues.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorBody } from './errors.js';
import { SESSION_COOKIE } from './session.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function ownOrigin(request: FastifyRequest): string {
  // request.host and request.protocol follow X-Forwarded-* only from a trusted proxy (trustProxy).
  return `${request.protocol}://${request.host}`;
}

/** Why the request is refused, or null when it is same-origin (or needs no check). */
export function crossSiteProblem(request: FastifyRequest): string | null {
  if (SAFE_METHODS.has(request.method)) return null;
  if (request.headers.authorization !== undefined) return null;
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') {
    return site === 'same-origin' ? null : `Sec-Fetch-Site is ${site.slice(0, 20)}, not same-origin`;
  }
  const origin = request.headers.origin;
  if (typeof origin !== 'string') {
    if (request.cookies?.[SESSION_COOKIE] === undefined) return null;
    return 'a session cookie without an Origin or Sec-Fetch-Site header; scripts should send Authorization: Bearer <token>';
  }
  return origin === ownOrigin(request) ? null : 'Origin is not this server';
}

export function installSameOriginCheck(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const problem = crossSiteProblem(request);
    if (problem === null) return;
    request.log.warn({ method: request.method, url: request.url, problem }, 'cross-site request refused');
    // Answered here rather than thrown, like the auth hook: Bull Board's own error handler would
    // turn a thrown 403 into a 500 on its routes.
    return reply
      .code(403)
      .type('application/json; charset=utf-8')
      .send(errorBody('CROSS_SITE_REQUEST', `Refused a cross-site ${request.method}: ${problem}`));
  });
}
