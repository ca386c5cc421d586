/**
 * The dashboard at the size it is built for, in a real headless Chromium: 1,000 keys imported, 30
 * days of history, a failure caused by a real job. The operator searches, filters by status, pages,
 * switches the chart to 30 days and splits it by client; the failures and configuration panels show
 * what happened; the view survives a reload (it lives in the address) and the automatic refresh
 * (every 5 s) keeps scroll and focus, never runs two at once and stops while the tab is hidden.
 * Skipped without Chromium, as dashboard.browser.test.ts is.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Queue } from 'bullmq';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type RunningAdminServer } from '../../src/runtime/admin-server.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';
import { startSystem, type TestSystem } from '../integration/jobs/system.js';
import { isolate } from '../setup/isolation.js';
import { POOL_MODELS, poolEnvLines, seedUsageHistory } from './support/dashboard-pool.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const RUN = HAVE_CHROMIUM || Boolean(process.env.CI);
const env = isolate('dashboard-pool');
const ADMIN_TOKEN = `browser-admin-${randomBytes(24).toString('hex')}`;
const KEYS = 1000;
/** The one key of its model, invalid: the job sent to that model fails on it. */
const FAILING_MODEL = 'gpt-4o-failing';
let sim: SimulatedProvider;
let system: TestSystem;
let admin: RunningAdminServer;
let queue: Queue;
let browser: Browser;
let page: Page;
/** Script errors and CSP refusals on the page, over every test: there must be none. */
const pageProblems: string[] = [];

beforeAll(async () => {
  if (!RUN) return;
  if (!HAVE_CHROMIUM) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium`);
  sim = await startSimulatedProvider({ port: 0 });
  system = await startSystem(env, sim.openaiBaseUrl, [
    ...poolEnvLines(KEYS - 1, { anthropicBaseUrl: sim.anthropicBaseUrl }),
    `KEY_${KEYS}=sim-401-revoked-${randomBytes(8).toString('hex')}`,
    `KEY_${KEYS}_MODEL=${FAILING_MODEL}`,
    'AI_NO_KEY_WAIT_MS=1000',
    `AIKEYS_ADMIN_TOKEN=${ADMIN_TOKEN}`,
  ]);
  await seedUsageHistory(system.container.db, { keys: 200, days: 30, callsPerHour: 10 });
  // A real failure: the provider refuses the key, the worker logs the call and disables the key.
  await system.producer
    .run({ model: FAILING_MODEL, messages: [{ role: 'user', content: 'hello' }] }, { timeoutMs: 20_000 })
    .catch(() => undefined);
  for (let waited = 0; ; waited += 100) {
    const logged = await system.container.db('ai_request_logs').where({ response_status: 401 }).first();
    if (logged) break;
    if (waited > 20_000) throw new Error('the failing job left no 401 call in ai_request_logs');
    await new Promise((r) => setTimeout(r, 100));
  }
  queue = new Queue(env.queueName, { connection: system.container.bullConnection, prefix: env.prefix });
  admin = await startAdminServer(system.container, [queue], { port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  page.on('pageerror', (error) => pageProblems.push(error.message));
  page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) pageProblems.push(message.text());
  });
  await page.goto(`${admin.url}/`);
  await page.waitForURL(`${admin.url}/sign-in`);
  await page.locator('#token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${admin.url}/`);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await admin?.closeStep.close();
  await queue?.close();
  await system?.close();
  await sim?.close();
  await env.cleanup();
});

const keyRows = () => page.locator('#keys-table tbody tr');
const keyNames = () => page.locator('#keys-table tbody tr td:first-child').allTextContents();
const rangeText = () => page.locator('#keys-range');

describe.skipIf(!RUN)('the dashboard on a 1,000-key pool', () => {
  it('renders one page of keys, and search, status filter and paging ask the server for the rest', async () => {
    await expect.poll(() => rangeText().textContent()).toBe('1–50 of 1,000 keys');
    expect(await keyRows().count()).toBe(50);
    expect((await keyNames()).slice(0, 3)).toEqual(['key_1', 'key_2', 'key_3']);

    // Search (debounced): key_99 and key_990 … key_999.
    await page.locator('#keys-search').pressSequentially('key_99');
    await expect.poll(() => rangeText().textContent()).toBe('1–11 of 11 matching keys');
    expect(await keyNames()).toEqual(['key_99', ...Array.from({ length: 10 }, (_, i) => `key_99${i}`)]);
    await page.locator('#keys-clear').click();
    await expect.poll(() => rangeText().textContent()).toBe('1–50 of 1,000 keys');

    // Status filter: the key the failed job disabled is the only disabled one.
    await page.locator('#keys-status').selectOption('disabled');
    await expect.poll(() => rangeText().textContent()).toBe('1–1 of 1 matching keys');
    expect(await keyNames()).toEqual([`key_${KEYS}`]);
    await expect.poll(() => keyRows().first().textContent()).toContain('disabled');
    // Loaded afresh on this view (one key shown), the model filter still offers every model of the pool.
    await page.reload();
    await expect.poll(() => rangeText().textContent()).toBe('1–1 of 1 matching keys');
    // The pool's five models and the failing key's own (the one key shown).
    const allModels = [...POOL_MODELS.openai, ...POOL_MODELS.anthropic, FAILING_MODEL].sort();
    await expect
      .poll(async () => (await page.locator('#keys-model option').allTextContents()).slice(1))
      .toEqual(allModels);
    await page.locator('#keys-status').selectOption('');

    // Paging, and a page size; the view lives in the address, so a reload keeps it.
    await page.locator('#keys-next').click();
    await expect.poll(() => page.locator('#keys-page-of').textContent()).toBe('Page 2 of 20');
    expect((await keyNames())[0]).toBe('key_51');
    const asked = Date.now();
    await page.locator('#keys-per-page').selectOption('200');
    await expect.poll(() => rangeText().textContent(), { interval: 20 }).toBe('1–200 of 1,000 keys');
    // Request, query and 200 rows drawn: 0.5-0.7 s measured here on a shared, busy 2-core machine.
    const tookMs = Date.now() - asked;
    console.info(`dashboard: 200 of 1,000 keys shown ${tookMs} ms after the page-size change`);
    expect(tookMs).toBeLessThan(3000);
    await page.locator('#keys-last').click();
    await expect.poll(() => rangeText().textContent()).toBe('801–1,000 of 1,000 keys');
    expect(await keyRows().count()).toBe(200);
    expect(page.url()).toContain('page=5');
    await page.reload();
    await expect.poll(() => rangeText().textContent()).toBe('801–1,000 of 1,000 keys');
    expect(await page.locator('#keys-per-page').inputValue()).toBe('200');

    // Sorting by a column header: most used today first.
    await page.locator('#keys-first').click();
    await page.locator('#keys-table th[data-sort="used_today"]').click();
    await page.locator('#keys-table th[data-sort="used_today"]').click();
    await expect
      .poll(() => page.locator('#keys-table th[data-sort="used_today"]').getAttribute('aria-sort'))
      .toBe('descending');
    expect(page.url()).toMatch(/sort=used_today.*order=desc|order=desc.*sort=used_today/);
  });

  it('draws 30 days of usage, split by client, with totals', async () => {
    const requested: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/usage')) requested.push(r.url());
    });
    await page.getByRole('button', { name: '30 days' }).click();
    await expect.poll(() => page.locator('#usage-chart svg rect.col').count()).toBeGreaterThanOrEqual(29);
    expect(requested.some((u) => u.includes('bucket=day'))).toBe(true);
    // Day labels on the x axis and the window's totals under the chart.
    expect(await page.locator('#usage-chart svg text').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^[A-Z][a-z]{2} \d{1,2}$/)]),
    );
    expect(await page.locator('#usage-totals').textContent()).toMatch(/last 30 days.*[\d,]+ requests/);

    await page.locator('#usage-split').selectOption('client');
    await expect.poll(() => page.locator('#usage-legend').textContent()).toMatch(/billing-app.*|support-bot/);
    expect(requested.some((u) => u.includes('group_by=client'))).toBe(true);
    await page.getByRole('button', { name: '24 hours' }).click();
    await expect.poll(() => page.locator('#usage-chart svg rect.col').count()).toBeGreaterThanOrEqual(24);
    expect(page.url()).toContain('split=client');
  });

  it('shows the failure the job caused and the configuration status', async () => {
    const failure = page.locator('#failures-table tbody tr', { hasText: `key_${KEYS}` });
    await failure.first().waitFor();
    expect(await failure.first().textContent()).toContain('401');
    expect(await failure.first().textContent()).toContain(FAILING_MODEL);

    // The key's own view: its state, today's calls and the same failure.
    await page.locator('#keys-search').fill(`key_${KEYS}`);
    await page.locator('#keys-table button.link', { hasText: `key_${KEYS}` }).click();
    const detail = page.locator('#key-detail');
    await expect.poll(() => detail.textContent()).toContain('Recent failures');
    const detailText = await detail.textContent();
    expect(detailText).toContain('disabled');
    expect(detailText).toContain(FAILING_MODEL);
    expect(await detail.locator('tbody tr').first().textContent()).toContain('401');
    await page.locator('#key-detail-close').click();
    await page.locator('#keys-clear').click();

    // What /api/health says about the config file, as the panel shows it.
    const health = (await (
      await fetch(`${admin.url}/api/health`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as { config?: { last_import: { added: number } | null } | null };
    const panel = page.locator('#config-status');
    if (health.config?.last_import) {
      await expect.poll(() => panel.textContent()).toContain(`${health.config.last_import.added} added`);
    } else {
      await expect.poll(() => panel.textContent()).toContain('not reported yet');
    }

    // A broken env file as /api/health reports it: the panel names the file and line.
    await page.route('**/api/health', async (route) => {
      const response = await route.fetch();
      const json = (await response.json()) as Record<string, unknown>;
      json.config = {
        file: '/etc/aikeys/.env.local',
        last_import_at: new Date().toISOString(),
        last_import: { added: 3, changed: 1, disabled: 0, unchanged: 996 },
        last_error: {
          at: new Date().toISOString(),
          file: '/etc/aikeys/.env.local',
          line: 17,
          message: 'KEY_7_MODLE is not a setting (did you mean KEY_7_MODEL?)',
        },
        restart_needed: ['REDIS_URL'],
      };
      await route.fulfill({ response, json });
    });
    await expect.poll(() => panel.textContent(), { timeout: 10_000 }).toContain('/etc/aikeys/.env.local:17');
    const text = await panel.textContent();
    expect(text).toContain('3 added, 1 changed, 0 disabled, 996 unchanged');
    expect(text).toContain('KEY_7_MODLE');
    expect(text).toContain('REDIS_URL');
    await page.unroute('**/api/health');
  });

  it('refreshes by itself without losing scroll or focus, one refresh at a time, paused when hidden', async () => {
    // Back to the default view by editing the address, as an operator may.
    await page.evaluate("location.hash = ''");
    await expect.poll(() => rangeText().textContent()).toBe('1–50 of 1,000 keys');
    expect(await page.locator('#keys-per-page').inputValue()).toBe('50');
    await page.locator('#keys-search').focus();
    await page.evaluate('window.scrollTo(0, 600)');
    // A row whose key did not change stays the same element through refreshes, also when the
    // page's clock has moved on by minutes ("… ago" cells are updated in place, not rebuilt).
    await page.evaluate("document.querySelector('#keys-table tbody tr').dataset.marker = 'kept'");
    await page.evaluate('{ const now = Date.now; Date.now = () => now() + 180_000; }');
    const updatedBefore = await page.locator('#updated').textContent();
    const counts = { health: 0, inFlight: 0, maxInFlight: 0 };
    const withToken: string[] = [];
    const onRequest = (r: { url(): string; headers(): Record<string, string> }) => {
      if (r.url().endsWith('/api/health')) counts.health += 1;
      // The page's requests carry the session cookie only, never the admin token.
      if (r.headers().authorization !== undefined) withToken.push(r.url());
    };
    page.on('request', onRequest);
    await expect.poll(() => counts.health, { timeout: 12_000 }).toBeGreaterThanOrEqual(1);
    expect(await page.evaluate('window.scrollY')).toBe(600);
    expect(await page.evaluate('document.activeElement.id')).toBe('keys-search');
    // … and that refresh has drawn its answers.
    await expect
      .poll(() => page.locator('#updated').textContent(), { timeout: 5_000 })
      .not.toBe(updatedBefore);
    expect(await page.locator('#keys-table tbody tr').first().getAttribute('data-marker')).toBe('kept');
    // The failure of a minute or so ago now reads three or more minutes ago, in the same row.
    expect(await page.locator('#failures-table tbody tr td').first().textContent()).toMatch(
      /^([3-9]|\d\d) min ago$/,
    );

    // A slow server: failures answer after 12 s; the ticks meanwhile start nothing.
    await page.route('**/api/failures*', async (route) => {
      counts.inFlight += 1;
      counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
      await new Promise((r) => setTimeout(r, 12_000));
      counts.inFlight -= 1;
      // The test may have moved on (unroute) while this one waited.
      await route.continue().catch(() => undefined);
    });
    const before = counts.health;
    await new Promise((r) => setTimeout(r, 14_000));
    expect(counts.maxInFlight).toBe(1);
    // One refresh that hung on failures, and at most the one after it: not one per 5-s tick.
    expect(counts.health - before).toBeLessThanOrEqual(2);
    await page.unroute('**/api/failures*');

    // Hidden tab: no requests at all; visible again: one refresh at once.
    await page.evaluate(
      "Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }); document.dispatchEvent(new Event('visibilitychange'))",
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const hiddenAt = counts.health;
    await new Promise((r) => setTimeout(r, 11_000));
    expect(counts.health).toBe(hiddenAt);
    expect(await page.locator('#updated').textContent()).toContain('Paused');
    await page.evaluate(
      "Object.defineProperty(document, 'hidden', { configurable: true, get: () => false }); document.dispatchEvent(new Event('visibilitychange'))",
    );
    await expect.poll(() => counts.health, { timeout: 3_000 }).toBe(hiddenAt + 1);
    page.off('request', onRequest);
    expect(withToken).toEqual([]);
    expect(pageProblems).toEqual([]);
  });
});
