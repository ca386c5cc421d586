/**
 * Front-door overhead: the official `openai` client through the front door (whole and streamed)
 * next to the same client calling the simulated provider directly and to the queue pipeline alone
 * (a BullMQ producer enqueueing the same job and waiting on its result), at the same concurrency,
 * in interleaved rounds of one run, so load elsewhere on the machine hits every path alike.
 *
 * One process holds the load generator, the front door and the worker replica (as `npm start`
 * runs them together); the simulated provider runs in a child (bench/lib/pipeline-simulator.ts).
 * So the front-door figures include the `openai` client's own CPU, which a deployment pays in the
 * application's process instead: they err on the slow side.
 *
 * `npm run bench -- --only gateway`, or alone:
 * `npx tsx bench/gateway.ts [--concurrency 64] [--duration-ms 9000] [--rounds 3] [--latency-ms 0]`.
 */
import OpenAI from 'openai';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { AiJobData } from '../src/jobs/job-schema.js';
import { createProducer } from '../src/queues/producer.js';
import { startGatewayServer } from '../src/runtime/gateway-server.js';
import { sampleLoop, summarise, type LoopSample } from './lib/closed-loop.js';
import { formatGatewayBench, type GatewayBenchResult, type GatewayPath } from './lib/gateway-format.js';
import { startAikeysBench } from './lib/pipeline-aikeys.js';
import { startSimulatorChild } from './lib/pipeline-simulator.js';

export interface GatewayBenchOptions {
  readonly redisUrl?: string;
  /** Any database URL on the Postgres server; the bench uses (creates, drops) `aikeys_bench` there. */
  readonly databaseUrl?: string;
  readonly concurrency?: number;
  readonly latencyMs?: number;
  /** Measured time per path, split over `rounds`. */
  readonly durationMs?: number;
  readonly rounds?: number;
  readonly warmupMs?: number;
  readonly log?: (line: string) => void;
}

const MODEL = 'gpt-4o-mini';
const PROMPT = 'Explain rate limits in one sentence.';
const JOB: AiJobData = { model: MODEL, messages: [{ role: 'user', content: PROMPT }], maxTokens: 16 };
const BODY = { model: MODEL, messages: [{ role: 'user' as const, content: PROMPT }], max_tokens: 16 };
const CLIENT_TOKEN = `bench-client-token-${'x'.repeat(24)}`;
/** A call that takes longer counts as failed, so one lost answer cannot hang the run. */
const CALL_TIMEOUT_MS = 30_000;

function bounded(call: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

export async function benchGateway(options: GatewayBenchOptions = {}): Promise<GatewayBenchResult> {
  const concurrency = options.concurrency ?? 64;
  const latencyMs = options.latencyMs ?? 0;
  const rounds = options.rounds ?? 3;
  const slice = (options.durationMs ?? 9000) / rounds;
  const warmupMs = options.warmupMs ?? 1500;
  const log = options.log ?? (() => {});
  const closers: (() => Promise<void>)[] = [];
  try {
    const simulator = await startSimulatorChild(latencyMs);
    closers.unshift(() => simulator.close());
    log('starting aikeys (fresh database and prefix) and its front door');
    const system = await startAikeysBench({
      redisUrl: options.redisUrl ?? 'redis://127.0.0.1:6379',
      databaseUrl: options.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      openaiBaseUrl: simulator.openaiBaseUrl,
      concurrency,
      job: JOB,
      extraEnv: { AIKEYS_GATEWAY_TOKENS: `bench:${CLIENT_TOKEN}` },
    });
    closers.unshift(() => system.close());
    const gateway = await startGatewayServer(system.container, { port: 0 });
    closers.unshift(async () => {
      for (const step of gateway.closeSteps) await step.close();
    });
    const producer = createProducer({
      connection: system.container.bullConnection,
      prefix: system.prefix,
      queueName: system.container.config.services.queueName,
    });
    closers.unshift(() => producer.close());
    const direct = new OpenAI({ baseURL: simulator.openaiBaseUrl, apiKey: 'sk-bench-direct', maxRetries: 0 });
    const front = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: CLIENT_TOKEN, maxRetries: 0 });

    const calls: Record<GatewayPath, () => Promise<unknown>> = {
      direct: () => direct.chat.completions.create(BODY),
      pipeline: () => producer.run(JOB),
      frontDoor: () => front.chat.completions.create(BODY),
      frontDoorStream: async () => {
        const stream = await front.chat.completions.create({
          ...BODY,
          stream: true,
          stream_options: { include_usage: true },
        });
        for await (const chunk of stream) void chunk;
      },
    };
    // The producer's QueueEvents reader starts with its first call: not inside the measured loop.
    await producer.run(JOB);
    const paths = Object.keys(calls) as GatewayPath[];
    const samples = Object.fromEntries(paths.map((p) => [p, [] as LoopSample[]])) as Record<
      GatewayPath,
      LoopSample[]
    >;
    const failed = Object.fromEntries(paths.map((p) => [p, 0])) as Record<GatewayPath, number>;
    for (let round = 1; round <= rounds; round++) {
      for (const path of paths) {
        const sample = await sampleLoop(
          concurrency,
          slice,
          () =>
            bounded(calls[path]()).then(
              () => undefined,
              (error: unknown) => {
                if (failed[path]++ === 0) log(`${path}: first failure: ${String(error)}`);
              },
            ),
          round === 1 ? warmupMs : 300,
        );
        samples[path].push(sample);
        log(
          `round ${round}/${rounds}: ${path} ${Math.round(sample.latenciesMs.length / sample.seconds)} requests/s`,
        );
      }
    }
    const result = Object.fromEntries(
      paths.map((p) => [p, { ...summarise(samples[p]), failed: failed[p] }]),
    ) as GatewayBenchResult['paths'];
    return { concurrency, latencyMs, rounds, paths: result };
  } finally {
    for (const close of closers)
      await close().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string' },
      'duration-ms': { type: 'string' },
      rounds: { type: 'string' },
      'latency-ms': { type: 'string' },
      redis: { type: 'string' },
      database: { type: 'string' },
    },
  });
  const number = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const result = await benchGateway({
    redisUrl: values.redis,
    databaseUrl: values.database,
    concurrency: number(values.concurrency),
    durationMs: number(values['duration-ms']),
    rounds: number(values.rounds),
    latencyMs: number(values['latency-ms']),
    log: (line) => console.error(`[gateway] ${line}`),
  });
  console.log(formatGatewayBench(result));
}
