/**
 * `GET /`: the dashboard, one self-contained page (inline CSS and script, no build step, no CDN: the
 * admin host may have no internet). It is kept as page.html, two stylesheets and one script file per
 * part (scripts/*.js, in DASHBOARD_SCRIPTS order) for editing, and joined once at startup: each
 * script in a block of its own inside one function that declares `AK`, the object they share. With
 * a token set it needs a session: a browser without one is sent to the sign-in form (auth.ts), and
 * every figure comes from an API call that the session cookie authenticates.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';

const DASHBOARD_DIR = new URL('../dashboard/', import.meta.url);

/** Load order: helpers and the view state first, the part that starts the refreshes last. */
export const DASHBOARD_SCRIPTS = [
  'core.js',
  'view-state.js',
  'keys-table.js',
  'key-detail.js',
  'usage-chart.js',
  'panels.js',
  'main.js',
] as const;

async function readDashboardFile(name: string): Promise<string> {
  return readFile(new URL(name, DASHBOARD_DIR), 'utf8');
}

/** One script: a block per file keeps each file's own helpers private to it. */
async function joinScripts(): Promise<string> {
  const parts = await Promise.all(DASHBOARD_SCRIPTS.map((f) => readDashboardFile(`scripts/${f}`)));
  const blocks = parts.map((text, i) => `// ${DASHBOARD_SCRIPTS[i]}\n{\n${text}}\n`);
  return `(function () {\n'use strict';\nconst AK = {};\n${blocks.join('')}})();`;
}

export interface DashboardPage {
  readonly html: string;
  /** Content-Security-Policy allowing exactly the inline script by hash, and nothing remote. */
  readonly csp: string;
}

export async function loadDashboardPage(): Promise<DashboardPage> {
  const [page, css, js] = await Promise.all([
    readDashboardFile('page.html'),
    Promise.all(['dashboard.css', 'widgets.css'].map(readDashboardFile)).then((parts) => parts.join('\n')),
    joinScripts(),
  ]);
  // Function replacers: a `$` in the inserted text must not be read as a replacement pattern.
  const html = page.replace('/*{{CSS}}*/', () => css).replace('/*{{JS}}*/', () => js);
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
