/**
 * `GET /`: the dashboard, one self-contained page (inline CSS and script, no build step, no CDN: the
 * admin host may have no internet). It is kept as three files (page.html, dashboard.css,
 * dashboard.js) for editing and joined once at startup. The page holds no data, so it is public:
 * it is where the operator enters the token, and every figure comes from an authed API call.
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
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}

export async function registerDashboardRoutes(app: FastifyInstance): Promise<void> {
  const page = await loadDashboardPage();
  app.get('/', { config: { public: true } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', page.csp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .send(page.html),
  );
}
