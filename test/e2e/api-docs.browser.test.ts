/**
 * The OpenAPI UI at /api/docs in a real headless Chromium (Debian's, driven by playwright-core),
 * behind the admin token: after signing in through the form, the page renders every /api route
 * from /api/docs/json under the server's Content-Security-Policy, with no violation reported.
 * Skipped with a note where Chromium is missing, as the dashboard's browser test is.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, setUp, type Fixture } from '../integration/http/fixtures.js';
import { isolate } from '../setup/isolation.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && !process.env.CI) {
  console.warn(
    `api docs browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}
const env = isolate('apidocs-browser');
const ADMIN_TOKEN = `docs-admin-${randomBytes(24).toString('hex')}`;
let f: Fixture;
let app: FastifyInstance;
let url: string;
let browser: Browser;

beforeAll(async () => {
  if (!HAVE_CHROMIUM && !process.env.CI) return;
  f = await setUp(env);
  app = await buildApp(f, { adminToken: ADMIN_TOKEN });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await f?.close();
  await env.cleanup();
});

describe.skipIf(!HAVE_CHROMIUM && !process.env.CI)('/api/docs in a browser', () => {
  it('renders every route of the document under the CSP, after signing in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content[- ]Security[- ]Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    const denied = await page.goto(`${url}/api/docs`);
    expect(denied?.status()).toBe(401);

    await page.goto(`${url}/sign-in`);
    await page.locator('#token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${url}/`);

    await page.goto(`${url}/api/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 30_000 });
    const shown = await page.locator('.opblock-summary-path').allTextContents();
    const doc = (await (await context.request.get(`${url}/api/docs/json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(shown.length).toBe(operations);
    expect(shown.map((p) => p.replace(/\u200b/g, ''))).toContain('/api/usage');
    expect(cspViolations).toEqual([]);
    await context.close();
  });
});
