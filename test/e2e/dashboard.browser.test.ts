/**
 * The admin dashboard in a real headless Chromium (Debian's, driven by playwright-core), against a
 * running system with an admin token: the operator signs in through the form (the page never holds
 * the token, and the session cookie is out of the scripts' reach), the dashboard shows the keys, and
 * a "Disable" click reaches the lease engine and Postgres; Bull Board renders under the server's
 * security headers; signing out ends the session. `.ci/run` installs Chromium (Debian's package) and CI requires it; elsewhere, without
 * Chromium, this file is skipped with a note saying how to run it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Queue } from 'bullmq';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer, type RunningAdminServer } from '../../src/runtime/admin-server.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';
import { findKeyByName } from '../../src/store/keys.js';
import { startSystem, type TestSystem } from '../integration/jobs/system.js';
import { isolate } from '../setup/isolation.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM && !process.env.CI) {
  console.warn(
    `dashboard browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}
const env = isolate('dashboard-browser');
const ADMIN_TOKEN = `browser-admin-${randomBytes(24).toString('hex')}`;
let sim: SimulatedProvider;
let system: TestSystem;
let admin: RunningAdminServer;
let queue: Queue;
let browser: Browser;

beforeAll(async () => {
  if (!HAVE_CHROMIUM && !process.env.CI) return;
  if (!HAVE_CHROMIUM) {
    throw new Error(`No Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  sim = await startSimulatedProvider({ port: 0 });
  system = await startSystem(env, sim.openaiBaseUrl, [
    `KEY_1=sim-ok-first-${randomBytes(6).toString('hex')}`,
    `KEY_2=sim-ok-second-${randomBytes(6).toString('hex')}`,
    `AIKEYS_ADMIN_TOKEN=${ADMIN_TOKEN}`,
  ]);
  queue = new Queue(env.queueName, { connection: system.container.bullConnection, prefix: env.prefix });
  admin = await startAdminServer(system.container, [queue], { port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await admin?.closeStep.close();
  await queue?.close();
  await system?.close();
  await sim?.close();
  await env.cleanup();
});

describe.skipIf(!HAVE_CHROMIUM && !process.env.CI)('the admin dashboard in a browser', () => {
  it('signs in through the form, lists the keys and disables one when the operator clicks Disable', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content[- ]Security[- ]Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on('dialog', (dialog) => void dialog.accept('rotated by the test'));
    await page.goto(`${admin.url}/`);
    // No session yet: the dashboard sends the browser to the form.
    await page.waitForURL(`${admin.url}/sign-in`);
    await page.locator('#token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${admin.url}/`);

    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'aikeys_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(session!.value).not.toContain(ADMIN_TOKEN);
    // Evaluated in the page (no DOM types here): what any script on it could read.
    const readable = await page.evaluate(
      '[document.cookie, JSON.stringify({ ...sessionStorage }), JSON.stringify({ ...localStorage })].join(" ")',
    );
    expect(readable).not.toContain('aikeys_session');
    expect(readable).not.toContain(ADMIN_TOKEN);

    const row = page.locator('#keys-table tr', { hasText: 'key_1' });
    await row.getByText('active', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Disable' }).click();
    await page
      .locator('#keys-table tr', { hasText: 'key_1' })
      .getByText('disabled', { exact: true })
      .waitFor();
    const key = await findKeyByName(system.container.db, 'key_1');
    expect(key).toMatchObject({ status: 'disabled', disabledReason: 'rotated by the test' });
    // The lease engine agrees: key_1 is no longer handed out, not even while key_2 is busy (key_2 has
    // not succeeded yet, so slow start holds it to one call in flight and the later picks find none).
    const picks: (string | false)[] = [];
    for (let i = 0; i < 3; i++) {
      const picked = await system.container.pool.lease({ provider: 'openai', estimatedTokens: 1 });
      picks.push(picked.ok && picked.key.keyName);
    }
    expect(picks).toEqual(['key_2', false, false]);
    // The click is in the audit trail, as done through the browser's session.
    const audit = await system.container
      .db('ai_admin_actions')
      .where({ action: 'disable', key_name: 'key_1' });
    expect(audit).toEqual([
      expect.objectContaining({ actor: 'api:AIKEYS_ADMIN_TOKEN', reason: 'rotated by the test' }),
    ]);
    expect(audit[0].details).toMatchObject({ via: 'session' });

    // Bull Board works under the global CSP with the same session.
    await page.goto(`${admin.url}/admin/queues`);
    await page.getByText(env.queueName).first().waitFor();
    // The one thing refused on purpose: the web font Bull Board links (the UI falls back to a system font).
    expect(cspViolations.filter((v) => !v.includes('https://fonts.googleapis.com/'))).toEqual([]);

    // Signing out ends the session: the dashboard sends the browser back to the form.
    await page.goto(`${admin.url}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${admin.url}/sign-in`);
    expect((await context.cookies()).find((c) => c.name === 'aikeys_session')).toBeUndefined();
    await page.goto(`${admin.url}/`);
    await page.waitForURL(`${admin.url}/sign-in`);
    await context.close();
  });
});
