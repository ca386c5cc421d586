/**
 * `GET /`: the dashboard, one self-contained page (inline CSS and script, no build step, no CDN: the
 * admin host may have no internet). It is kept as three files (page.html, dashboard.css,
 * dashboard.js) for editing and joined once at startup. With a token set it needs a session: a
 * browser without one is sent to the sign-in form (auth.ts), and every figure comes from an API
 * call that the session cookie authenticates.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';

const DASHBOARD_DIR = new URL('../dashboard/', import.meta.url);

export interface DashboardPage {
  readonly html: string;
  /** Content-Security-Policy allowing exactly the inline script by hash, and nothing remote. */
  readonly csp: string;
}

export async function loadDashboardPage(): Promise<DashboardPage> {
  const [page, css, js] = await Promise.all(
    ['page.html', 'dashboard.css', 'dashboard.js'].map((f) => readFile(new URL(f, DASHBOARD_DIR), 'utf8')),
  );
  // Function replacers: a `$` in the inserted text must not be read as a replacement pattern.
  const html = (page ?? '').replace('/*{{CSS}}*/', () => css ?? '').replace('/*{{JS}}*/', () => js ?? '');
  // The hash covers the script element's exact text, whitespace included, as the browser sees it.
  const scriptBody = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const scriptHash = createHash('sha256').update(scriptBody, 'utf8').digest('base64');
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${scriptHash}'`,
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    // The sign-out form posts to this server.
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}

export async function registerDashboardRoutes(app: FastifyInstance): Promise<void> {
  const page = await loadDashboardPage();
  // The other security headers come from helmet (app.ts); this page's CSP is stricter than the default.
  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', page.csp)
      .header('cache-control', 'no-store')
      .send(page.html),
  );
}
