/**
 * Soak: 50,000 jobs through 4 worker processes (`workers/worker.ts`) on a redis-server of the
 * soak's own, against the simulated provider, with keys that fail (an invalid key, two flaky ones,
 * one rate-limited at first). A closed-loop producer keeps up to 128 jobs outstanding under the
 * real job options (completed jobs kept by count and age). Every 5,000 settled jobs it prints
 * throughput, p50/p99 latency (enqueue to completed or failed) of those jobs, each worker's RSS,
 * Redis used_memory and the usage stream's length; at the end, growth after warm-up and whether the
 * usage stream was trimmed back to empty. Wall-clock figures on a shared 2-core machine move
 * with its load; memory does not.
 *
 * `npm run bench -- --only soak`, or `npx tsx bench/soak.ts [--jobs 50000] [--workers 4]`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import { openQueueEvents } from '../src/queues/queue-events.js';
import { keyRingOf } from '../src/config/encryption-key.js';
import { loadConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/core/logger.js';
import { generateMasterKey } from '../src/crypto/key-ring.js';
import type { AiJobData } from '../src/jobs/job-schema.js';
import { DEFAULT_JOB_OPTIONS } from '../src/queues/producer.js';
import { dropDatabase, openDatabase } from '../src/store/database.js';
import { importConfig } from '../src/store/import-config.js';
import { usageStreamKey } from '../src/usage/usage-stream.js';
import { benchDatabaseUrl } from './lib/pipeline-aikeys.js';
import { startNativeRedis } from './lib/native-redis.js';
import { startSimulatorChild } from './lib/pipeline-simulator.js';
import { formatCheckpoint, growth, type Checkpoint } from './lib/soak-report.js';
import { startSoakWorker, type SoakWorker } from './lib/soak-workers.js';

const KEYS = ['sim-ok-a', 'sim-ok-b', 'sim-ok-c', 'sim-ok-d', 'sim-ok-e', 'sim-ok-f', 'sim-401-revoked'];
KEYS.push('sim-flaky30-wobbly', 'sim-flaky10-shaky', 'sim-429-2x5-busy');
// Twice the workers' 4 x 16 concurrent jobs: enough to keep them busy, so latency is mostly work, not queueing.
const OUTSTANDING = 128;
const JOB: AiJobData = { messages: [{ role: 'user', content: 'Say something short.' }], maxTokens: 16 };

function envText(openaiBaseUrl: string): string {
  const lines = [
    `AI_ENCRYPTION_KEY=${generateMasterKey().reveal()}`,
    'AI_DEFAULT_MODEL=gpt-4o-mini',
    'AI_FALLBACK_MODEL=gpt-4o-mini',
    'AI_DAILY_QUOTA_PER_KEY=1000000000000',
    `AI_PROVIDER_OPENAI_BASE_URL=${openaiBaseUrl}`,
    'AI_RETRY_DELAY_MS=5',
    // Broken keys come back for a probe every few seconds, so they keep failing all run long.
    'AI_KEY_PROBE_AFTER_MS=3000',
    'AI_PROVIDER_COOLDOWN_MS=200',
    'AI_WORKER_CONCURRENCY=16',
  ];
  KEYS.forEach((key, i) => lines.push(`KEY_${i + 1}=${key}-${randomBytes(12).toString('hex')}`));
  return `${lines.join('\n')}\n`;
}

export async function soak(options: {
  jobs: number;
  workers: number;
  databaseUrl?: string;
  log: (line: string) => void;
}) {
  const { jobs, log } = options;
  const closers: (() => Promise<unknown>)[] = [];
  const lines: string[] = [];
  try {
    const redisServer = await startNativeRedis();
    closers.unshift(() => redisServer.close());
    const simulator = await startSimulatorChild(10);
    closers.unshift(() => simulator.close());
    const dir = mkdtempSync(path.join(tmpdir(), 'aikeys-soak-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, '.env.soak');
    writeFileSync(file, envText(simulator.openaiBaseUrl), { mode: 0o600 });
    const databaseUrl = benchDatabaseUrl(
      options.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      'aikeys_soak',
    );
    await dropDatabase(databaseUrl);
    closers.push(() => dropDatabase(databaseUrl));
    const prefix = '{aikeys-soak}';
    const env = {
      REDIS_URL: redisServer.url,
      DATABASE_URL: databaseUrl,
      AIKEYS_PREFIX: prefix,
      AIKEYS_ENV_FILE: file,
    };
    const config = loadConfig({ file, env, cwd: dir });
    const db = await openDatabase(databaseUrl);
    closers.unshift(() => db.destroy());
    await importConfig(db, config, { ring: keyRingOf(config.system), logger: silentLogger });
    const redis = redisServer.redis;
    const memory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
    const baselineRedis = await memory();
    log(`starting ${options.workers} worker processes`);
    const workers: SoakWorker[] = [];
    closers.unshift(async () => Promise.all(workers.map((w) => w.stop())));
    for (let i = 0; i < options.workers; i++) workers.push(await startSoakWorker(env));
    const queue = new Queue<AiJobData>(config.services.queueName, {
      connection: redis,
      prefix,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
    });
    const reader = await openQueueEvents(redis, config.services.queueName, prefix);
    const events = reader.events;
    closers.unshift(async () => {
      await reader.close();
      await queue.close();
    });

    const enqueuedAt = new Map<string, number>();
    const latencies: number[] = [];
    let settled = 0;
    let failed = 0;
    let enqueued = 0;
    let lastEvent = Date.now();
    const checkpoints: Checkpoint[] = [];
    let window = { began: performance.now(), latencies: [] as number[] };
    let resolveDone = () => {};
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    let topUp = () => {};
    const settle = (jobId: string, ok: boolean) => {
      const at = enqueuedAt.get(jobId);
      if (at === undefined) return;
      enqueuedAt.delete(jobId);
      lastEvent = Date.now();
      settled += 1;
      if (!ok) failed += 1;
      window.latencies.push(performance.now() - at);
      if (settled % 5000 === 0 || settled === jobs) {
        const now = performance.now();
        void (async () => {
          const point: Checkpoint = {
            settled,
            failed,
            jobsPerSecond: (window.latencies.length * 1000) / (now - window.began),
            latencies: window.latencies,
            rss: workers.map((w) => w.rss()),
            heapAfterGc: await Promise.all(workers.map((w) => w.heapAfterGc())),
            redisMemory: await memory(),
            streamLength: await redis.xlen(usageStreamKey(prefix)),
          };
          checkpoints.push(point);
          const line = formatCheckpoint(point);
          lines.push(line);
          log(line);
          if (point.settled === jobs) resolveDone();
        })();
        latencies.push(...window.latencies);
        window = { began: now, latencies: [] };
      }
      topUp();
    };
    events.on('completed', ({ jobId }) => settle(jobId, true));
    events.on('failed', ({ jobId }) => settle(jobId, false));
    let adding = false;
    topUp = () => {
      if (adding || enqueued >= jobs || enqueued - settled > OUTSTANDING - 32) return;
      adding = true;
      const n = Math.min(jobs - enqueued, OUTSTANDING - (enqueued - settled));
      // Ids of the soak's own, timed before the add: a job may finish before addBulk answers.
      const ids = Array.from({ length: n }, (_, i) => `soak-${enqueued + i}`);
      enqueued += n;
      const now = performance.now();
      for (const id of ids) enqueuedAt.set(id, now);
      void queue.addBulk(ids.map((jobId) => ({ name: 'chat', data: JOB, opts: { jobId } }))).finally(() => {
        adding = false;
        topUp();
      });
    };
    log(`${jobs} jobs, up to ${OUTSTANDING} outstanding`);
    const stall = setInterval(() => {
      if (Date.now() - lastEvent > 60_000) log(`no job settled for 60 s (${settled} settled)`);
    }, 10_000);
    try {
      topUp();
      await done;
    } finally {
      clearInterval(stall);
    }
    // The usage stream empties once the flushers wrote and acknowledged every record.
    let streamLength = -1;
    for (let i = 0; i < 300 && streamLength !== 0; i++) {
      streamLength = await redis.xlen(usageStreamKey(prefix));
      if (streamLength) await new Promise((r) => setTimeout(r, 200));
    }
    const finalRedis = await memory();
    const kept = await queue.getJobCounts('completed', 'failed');
    lines.push('', ...growth(checkpoints, { baselineRedis, finalRedis, streamLength, kept, latencies }));
    return lines.join('\n');
  } finally {
    for (const close of closers)
      await close().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { jobs: { type: 'string', default: '50000' }, workers: { type: 'string', default: '4' } },
  });
  const text = await soak({
    jobs: Number(values.jobs),
    workers: Number(values.workers),
    log: (line) => console.error(`[soak] ${line}`),
  });
  console.log(text);
}
