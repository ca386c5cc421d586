/**
 * `npx tsx scripts/dashboard-screenshot.ts [--out docs/dashboard.png] [--keys 1000]
 * [--view 'range=24h&status=disabled'] [--full-page]`: writes the README's picture of the dashboard.
 * It seeds a system of its own on the local PostgreSQL and Redis (a database and a Redis prefix
 * named for this run, both removed afterwards): simulated keys over two providers (every 97th one
 * refused by the provider), 30 days of calls with clients and their daily rollups, 200 real jobs
 * through a worker (so keys have usage today, and refused keys fail and are disabled), one key
 * blocked; then it signs in with Chromium (CHROMIUM_PATH, default /usr/bin/chromium) and captures
 * the page (its top 1,500 pixels unless --full-page).
 * DATABASE_URL / REDIS_URL name other servers (the database part of DATABASE_URL is replaced).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { startAdminServer } from '../src/runtime/admin-server.js';
import { startSimulatedProvider } from '../src/simulator/server.js';
import { poolEnvLines, seedUsageHistory } from '../test/e2e/support/dashboard-pool.js';
import { startSystem } from '../test/integration/jobs/system.js';
import { deleteByPrefix, testDatabaseUrl, type Isolated } from '../test/setup/isolation.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'docs/dashboard.png' },
    keys: { type: 'string', default: '1000' },
    // The dashboard's view, as in its address (default: 30 days by model, most used keys first).
    view: { type: 'string', default: 'range=30d&split=model&sort=used_today&order=desc' },
    // The whole page instead of its top 1,500 pixels.
    'full-page': { type: 'boolean', default: false },
  },
});
const keyCount = Number(values.keys);
if (!Number.isInteger(keyCount) || keyCount < 10 || keyCount > 10_000) {
  throw new Error(`--keys must be a whole number from 10 to 10000, not "${values.keys}"`);
}
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const id = `shot_${randomBytes(4).toString('hex')}`;
const dbName = `aikeys_${id}`;
const prefix = `{aikeys-${id}}`;
const queueName = `ai-jobs-${id}`;

async function dropDatabase(): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(dbName)} WITH (FORCE)`);
  await client.end();
}

const env: Isolated = {
  id,
  databaseUrl: testDatabaseUrl(adminUrl, dbName),
  redisUrl,
  prefix,
  queueName,
  env: {
    DATABASE_URL: testDatabaseUrl(adminUrl, dbName),
    REDIS_URL: redisUrl,
    AIKEYS_PREFIX: prefix,
    AIKEYS_QUEUE: queueName,
  },
  flushRedis: () => deleteByPrefix(redisUrl, prefix),
  async cleanup() {
    await deleteByPrefix(redisUrl, prefix);
    await dropDatabase();
  },
};

const token = randomBytes(24).toString('hex');
const TICKET = 'The customer reports that the export stops halfway and the retry button does nothing. ';
const sim = await startSimulatedProvider({ port: 0 });
const system = await startSystem(env, sim.openaiBaseUrl, [
  ...poolEnvLines(keyCount, { anthropicBaseUrl: sim.anthropicBaseUrl, invalidEvery: 97 }),
  'AI_NO_KEY_WAIT_MS=1000',
  'AI_DAILY_QUOTA_PER_KEY=2000',
  `AIKEYS_ADMIN_TOKEN=${token}`,
]);
const queue = new Queue(queueName, { connection: system.container.bullConnection, prefix });
const admin = await startAdminServer(system.container, [queue], { port: 0 });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  // History on the first 300 keys: the first pages of the table show keys in use.
  await seedUsageHistory(system.container.db, { keys: 300, days: 30, callsPerHour: 60 });
  // Real calls: keys get usage today, and the invalid ones fail, are logged and get disabled.
  const prompts = Array.from({ length: 200 }, (_, i) => ({
    model: i % 3 === 0 ? 'claude-3-5-haiku-latest' : 'gpt-4o-mini',
    provider: i % 3 === 0 ? 'anthropic' : 'openai',
    // A job is leased only to a key with room for its prompt plus maxTokens.
    maxTokens: 200,
    // Prompts of different lengths: keys end the run with different usage.
    messages: [{ role: 'user' as const, content: `Summarise ticket ${i}: ${TICKET.repeat(1 + (i % 9))}` }],
  }));
  let served = 0;
  for (let i = 0; i < prompts.length; i += 10) {
    const batch = prompts.slice(i, i + 10);
    const results = await Promise.allSettled(batch.map((p) => system.producer.run(p, { timeoutMs: 30_000 })));
    served += results.filter((r) => r.status === 'fulfilled').length;
    if (i === 0)
      for (const r of results) if (r.status === 'rejected') process.stderr.write(`${String(r.reason)}\n`);
  }
  process.stderr.write(`${served} of ${prompts.length} jobs served\n`);
  // One key blocked for half an hour, as a rate-limited key would be.
  await system.container.pool.block(await system.keyId('key_7'), 1800);

  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(`${admin.url}/sign-in`);
  await page.locator('#token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${admin.url}/`);
  // The most used keys first: the run's real calls.
  await page.goto(`${admin.url}/#${values.view}`);
  await page.locator('#usage-chart svg rect.col').first().waitFor();
  await page.locator('#failures-table tbody tr td:nth-child(2)').first().waitFor();
  await page.waitForTimeout(500);
  const out = path.resolve(values.out);
  mkdirSync(path.dirname(out), { recursive: true });
  // The top of the page: health, chart, configuration, the keys table's first rows.
  await page.screenshot({
    path: out,
    fullPage: true,
    ...(values['full-page'] ? {} : { clip: { x: 0, y: 0, width: 1440, height: 1500 } }),
  });
  // Written before process.exit below, which would drop a line still queued for a pipe.
  await new Promise((done) =>
    process.stdout.write(`dashboard-screenshot: wrote ${path.relative(process.cwd(), out)}\n`, done),
  );
} finally {
  const steps: [string, () => Promise<unknown>][] = [
    ['browser', () => browser.close()],
    ['admin server', () => admin.closeStep.close()],
    ['queue', () => queue.close()],
    ['system', () => system.close()],
    ['simulated provider', () => sim.close()],
    ['database and Redis keys', () => env.cleanup()],
  ];
  for (const [name, close] of steps) {
    const started = Date.now();
    await close();
    if (Date.now() - started > 2000)
      process.stderr.write(`closing the ${name} took ${Date.now() - started} ms\n`);
  }
}
// Anything still holding the event loop (an idle keep-alive socket) must not hold the script.
process.exit(0);
