/**
 * The whole aikeys pipeline for the bench, from nothing: a throw-away env file with 16 healthy
 * simulated keys (daily limits far above a run), a fresh database `aikeys_bench_<pid>`, a fresh Redis
 * prefix, the import, one worker replica (buildContainer + startWorkerReplica) at the bench's
 * concurrency (with `asNpmStart`, also process observability and the admin server, as `npm start`),
 * and the producer. `close()` undoes all of it, including the database and the prefix.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ConfigManager } from '../../src/config/config-manager.js';
import { loadConfig, type Env } from '../../src/config/load-config.js';
import { createLogger } from '../../src/core/logger.js';
import { keyRingOf } from '../../src/config/encryption-key.js';
import { generateMasterKey } from '../../src/crypto/key-ring.js';
import type { AiJobData } from '../../src/jobs/job-schema.js';
import { createProducer, type AiJobProducer } from '../../src/queues/producer.js';
import { Queue } from 'bullmq';
import { MAINTENANCE_QUEUE } from '../../src/queues/names.js';
import { startAdminServer } from '../../src/runtime/admin-server.js';
import { buildContainer, type Container } from '../../src/runtime/container.js';
import { startProcessObservability } from '../../src/runtime/process-observability.js';
import { closeInOrder, type CloseStep } from '../../src/runtime/shutdown.js';
import { startWorkerReplica, type WorkerReplica } from '../../src/runtime/worker-replica.js';
import { dropDatabase } from '../../src/store/database.js';
import { importConfig } from '../../src/store/import-config.js';
import type { BatchTarget } from './pipeline-batch.js';
import { benchPrefix } from './redis-prefix.js';
import { deleteKeysWithPrefix } from '../../src/queues/delete-prefix.js';

export const BENCH_KEYS = 16;
/** One database per run (the process id tells runs apart), so benches can run side by side. */
const BENCH_DATABASE = `aikeys_bench_${process.pid}`;

export interface AikeysBenchSystem {
  readonly target: BatchTarget;
  readonly container: Container;
  readonly replica: WorkerReplica;
  readonly prefix: string;
  close(): Promise<void>;
}

export interface AikeysBenchOptions {
  readonly redisUrl: string;
  /** Any database URL on the server to use; the bench swaps its name for `aikeys_bench_<pid>`. */
  readonly databaseUrl: string;
  readonly openaiBaseUrl: string;
  readonly concurrency: number;
  readonly job: AiJobData;
  /** More settings for this run (the gateway bench's client tokens). */
  readonly extraEnv?: Env;
  /** The database created (and dropped) for the run; `aikeys_bench_<pid>` unless given. */
  readonly databaseName?: string;
  /**
   * Also what `npm start` runs next to the worker (workers/main.ts): process observability (metrics,
   * probes) and the admin server on a free port, so CPU per job is that of the whole process.
   */
  readonly asNpmStart?: boolean;
}

function benchEnvText(): string {
  const lines = [
    '# Written by bench/pipeline.ts for one run; deleted when the run ends.',
    `AI_ENCRYPTION_KEY=${generateMasterKey().reveal()}`,
    'AI_DEFAULT_MODEL=gpt-4o-mini',
    'AI_FALLBACK_MODEL=gpt-4o-mini',
    'AI_DAILY_QUOTA_PER_KEY=1000000000000',
    'AI_REQUEST_TIMEOUT_MS=30000',
  ];
  for (let n = 1; n <= BENCH_KEYS; n++)
    lines.push(`KEY_${n}=sim-ok-bench${n}-${randomBytes(12).toString('hex')}`);
  return `${lines.join('\n')}\n`;
}

export function benchDatabaseUrl(databaseUrl: string, name = BENCH_DATABASE): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function startAikeysBench(options: AikeysBenchOptions): Promise<AikeysBenchSystem> {
  const dir = mkdtempSync(path.join(tmpdir(), 'aikeys-bench-'));
  const file = path.join(dir, '.env.bench');
  writeFileSync(file, benchEnvText(), { mode: 0o600 });
  const prefix = benchPrefix('pipeline');
  const databaseUrl = benchDatabaseUrl(options.databaseUrl, options.databaseName);
  // The bench's own environment, passed in: nothing here reads process.env.
  const env: Env = {
    REDIS_URL: options.redisUrl,
    DATABASE_URL: databaseUrl,
    AIKEYS_PREFIX: prefix,
    AI_PROVIDER_OPENAI_BASE_URL: options.openaiBaseUrl,
    LOG_LEVEL: 'warn',
    ...options.extraEnv,
  };
  const steps: CloseStep[] = [];
  const logger = createLogger({ level: 'warn', name: 'bench-pipeline' });
  const cleanup: CloseStep[] = [
    { name: 'bench database', close: () => dropDatabase(databaseUrl) },
    {
      name: 'bench prefix',
      close: async () => {
        const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
        try {
          await deleteKeysWithPrefix(redis, prefix);
        } finally {
          redis.disconnect();
        }
      },
    },
    { name: 'bench env file', close: async () => rmSync(dir, { recursive: true, force: true }) },
  ];
  const close = async () => void (await closeInOrder([...steps, ...cleanup], logger));
  try {
    const config = loadConfig({ file, env, cwd: dir });
    await dropDatabase(databaseUrl);
    const container = await buildContainer(config, logger);
    steps.push({ name: 'container', close: () => container.close() });
    await importConfig(container.db, config, {
      ring: keyRingOf(config.system),
      logger,
    });
    const observability = options.asNpmStart
      ? await startProcessObservability(container, {
          serviceName: 'aikeys-bench',
          runsWorkers: true,
          env: {},
        })
      : undefined;
    const replica = await startWorkerReplica(container, {
      concurrency: options.concurrency,
      configManager: new ConfigManager({ file, env }),
      ...(observability ? { observer: observability.observer } : {}),
    });
    // The container's close is already registered, last.
    steps.unshift(...replica.workerSteps);
    if (observability) {
      const queues = [config.services.queueName, MAINTENANCE_QUEUE].map(
        (name) => new Queue(name, { connection: container.bullConnection, prefix }),
      );
      const server = await startAdminServer(container, queues, { port: 0, probes: observability });
      steps.unshift(
        observability.shutdownStep,
        server.closeStep,
        ...queues.map((q) => ({ name: q.name, close: () => q.close() })),
      );
    }
    const producer: AiJobProducer = createProducer({
      connection: container.bullConnection,
      prefix,
      queueName: config.services.queueName,
    });
    steps.unshift({ name: 'producer', close: () => producer.close() });
    const target: BatchTarget = {
      queue: producer.queue,
      worker: replica.aiWorker,
      async enqueue(count) {
        for (let done = 0; done < count; done += 1000) {
          await producer.enqueueBulk(Array.from({ length: Math.min(1000, count - done) }, () => options.job));
        }
      },
    };
    return { target, container, replica, prefix, close };
  } catch (error) {
    await close();
    throw error;
  }
}
