/**
 * The admin dashboard in a real headless Chromium (Debian's, driven by playwright-core), against a
 * running system: it shows the keys, and an operator's "Disable" click reaches the lease engine
 * and Postgres. `.ci/run` installs Chromium (Debian's package) and CI requires it; elsewhere, without
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
  it('lists the keys and disables one when the operator clicks Disable', async () => {
    const page = await browser.newPage();
    page.on('dialog', (dialog) => void dialog.accept('rotated by the test'));
    await page.goto(`${admin.url}/`);
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
    await page.close();
  });
});
