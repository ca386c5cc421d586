/**
 * `npm run demo`: the whole system on the local Redis and Postgres with a simulated provider, no
 * real key needed. It starts from a clean demo database and Redis prefix each run, so what it
 * prints is this run's story: which keys served, which failed and why.
 */
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig, loadServiceSettings, type Env } from '../config/load-config.js';
import type { AikeysConfig } from '../config/types.js';
import { createLogger, type Logger } from '../core/logger.js';
import { keyRingOf } from '../config/encryption-key.js';
import { withoutKeySecrets } from '../config/key-secrets.js';
import { deleteKeysWithPrefix } from '../queues/delete-prefix.js';
import { MAINTENANCE_QUEUE } from '../queues/names.js';
import { createProducer } from '../queues/producer.js';
import { startAdminServer } from '../runtime/admin-server.js';
import { buildContainer, type Container } from '../runtime/container.js';
import { closeInOrder, type CloseStep } from '../runtime/shutdown.js';
import { startWorkerReplica } from '../runtime/worker-replica.js';
import { startSimulatedProvider } from '../simulator/server.js';
import { dropDatabase } from '../store/database.js';
import { importConfig } from '../store/import-config.js';
import { ensureDemoEnvFile } from './demo-config.js';
import { describeImport } from './import-line.js';
import { createProgress } from './progress.js';
import { keySummary, renderKeySummary } from './summary.js';

export interface DemoOptions {
  jobs: number;
  replicas: number;
  keepRunning: boolean;
  cwd: string;
  env: Env;
  out: (text: string) => void;
}

const DEMO_PREFIX = '{aikeys-demo}';

function demoDatabaseUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/aikeys_demo';
  return url.toString();
}

async function resetDemoState(config: AikeysConfig): Promise<void> {
  await dropDatabase(config.services.databaseUrl);
  const redis = new Redis(config.services.redisUrl, { maxRetriesPerRequest: 3 });
  try {
    await deleteKeysWithPrefix(redis, config.services.prefix);
  } finally {
    redis.disconnect();
  }
}

function demoPrompt(i: number): string {
  const topics = ['rate limits', 'circuit breakers', 'key rotation', 'token budgets', 'fallback accounts'];
  return `Question ${i}: explain ${topics[i % topics.length]} in one sentence.`;
}

async function waitForJobs(queue: Queue, total: number, logger: Logger): Promise<void> {
  const progress = createProgress(total);
  const deadline = Date.now() + 180_000;
  try {
    for (;;) {
      const c = await queue.getJobCounts('completed', 'failed', 'delayed');
      const done = (c.completed ?? 0) + (c.failed ?? 0);
      progress.update(done, { completed: c.completed ?? 0, failed: c.failed ?? 0, delayed: c.delayed ?? 0 });
      if (done >= total) return;
      if (Date.now() > deadline) {
        logger.warn({ done, total }, 'demo stopped waiting after 3 minutes');
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    progress.stop();
  }
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const { out } = options;
  const envFile = path.join(options.cwd, 'config/.env.demo');
  if (ensureDemoEnvFile(envFile).created)
    out(`Wrote ${envFile} with simulated keys and a fresh encryption key.\n`);
  const simulator = await startSimulatedProvider({ latencyMs: 20, jitterMs: 30, seed: 7 });
  const services = loadServiceSettings({ env: options.env, cwd: options.cwd, file: envFile });
  const readDemoConfig = () =>
    loadConfig({
      file: envFile,
      cwd: options.cwd,
      env: {
        ...options.env,
        DATABASE_URL: demoDatabaseUrl(services.databaseUrl),
        AIKEYS_PREFIX: DEMO_PREFIX,
        AI_PROVIDER_OPENAI_BASE_URL: simulator.openaiBaseUrl,
        LOG_LEVEL: options.env.LOG_LEVEL ?? 'warn',
      },
    });
  const importable = readDemoConfig();
  // The replicas keep the config without key secrets; only the import below sees them.
  const config = withoutKeySecrets(importable);
  const logger = createLogger({ level: config.services.logLevel, name: 'aikeys-demo' });
  out(
    `Simulated provider at ${simulator.url}; demo database ${new URL(config.services.databaseUrl).pathname.slice(1)}, Redis prefix ${DEMO_PREFIX}.\n`,
  );
  await resetDemoState(config);

  const closers: CloseStep[] = [];
  const containers: Container[] = [];
  try {
    for (let i = 0; i < options.replicas; i++) containers.push(await buildContainer(config, logger));
    const [first] = containers as [Container];
    const report = await importConfig(first.db, importable, {
      ring: keyRingOf(config.system),
      logger,
    });
    out(describeImport(report));
    for (const container of containers) {
      const replica = await startWorkerReplica(container);
      closers.push(...replica.workerSteps);
    }
    const queues = [config.services.queueName, MAINTENANCE_QUEUE].map(
      (name) => new Queue(name, { connection: first.bullConnection, prefix: config.services.prefix }),
    );
    // The dashboard's "import now" (POST /api/import) re-reads config/.env.demo, as npm start does its file.
    const admin = await startAdminServer(first, queues, { port: 0, readForImport: readDemoConfig }).catch(
      () => undefined,
    );
    if (admin) {
      out(`Admin dashboard: ${admin.url}/ (queues: ${admin.url}/admin/queues)\n`);
      closers.unshift(admin.closeStep);
    }
    closers.push(...queues.map((q) => ({ name: `queue ${q.name}`, close: () => q.close() })));

    const producer = createProducer({
      connection: first.bullConnection,
      prefix: config.services.prefix,
      queueName: config.services.queueName,
    });
    closers.push({ name: 'producer', close: () => producer.close() });
    await producer.enqueueBulk(
      Array.from({ length: options.jobs }, (_, i) => ({
        messages: [{ role: 'user' as const, content: demoPrompt(i + 1) }],
        maxTokens: 48,
      })),
    );
    out(`Enqueued ${options.jobs} jobs on ${options.replicas} worker replicas.\n`);
    const queue = queues[0]!;
    await waitForJobs(queue, options.jobs, logger);
    for (const container of containers) {
      await container.flusher.drain();
      await container.pool.flush();
    }
    out(`\n${renderKeySummary(await keySummary(first.db))}\n`);
    const failed = await queue.getFailed(0, 4);
    for (const job of failed) out(`failed job ${job.id}: ${job.failedReason}\n`);
    if (options.keepRunning && admin) {
      out(`Still running: open ${admin.url}/ — press Ctrl-C to stop.\n`);
      await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    }
  } finally {
    await closeInOrder(
      [
        ...closers,
        ...containers.map((c) => ({ name: 'container', close: () => c.close() })),
        { name: 'simulator', close: () => simulator.close() },
      ],
      logger,
    );
  }
}
