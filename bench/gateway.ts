/**
 * Front-door overhead: the official `openai` client through the front door (whole and streamed)
 * next to the same client calling the simulated provider directly and to the queue pipeline alone
 * (a BullMQ producer enqueueing the same job and waiting on its result), at the same concurrency,
 * in interleaved rounds of one run, so load elsewhere on the machine hits every path alike.
 *
 * Processes: the front door, the worker replica and the pipeline's producer share this process (as
 * `npm start` runs them); the `openai` client runs in a child (bench/lib/gateway-load.ts), as an
 * application would, and the simulated provider in another (bench/lib/pipeline-simulator.ts).
 *
 * `npm run bench -- --only gateway`, or alone:
 * `npx tsx bench/gateway.ts [--concurrency 64] [--duration-ms 9000] [--rounds 3] [--latency-ms 0]
 * [--paths pipeline,frontDoor] [--other ../old-checkout]`. `--other` also mounts the front door of
 * another checkout (its src/runtime/gateway-server.ts) on the same workers and interleaves its rows
 * with this one's: a before/after comparison under the same load, where separate runs on a shared
 * machine differ more than the change.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { AiJobData } from '../src/jobs/job-schema.js';
import { createProducer } from '../src/queues/producer.js';
import { sampleLoop, summarise, type LoopSample } from './lib/closed-loop.js';
import { formatGatewayBench, type GatewayBenchResult, type GatewayPath } from './lib/gateway-format.js';
import { CALL_TIMEOUT_MS, LOAD_MODEL, LOAD_PROMPT, type LoadSample } from './lib/gateway-load.js';
import { startFrontDoorHere, startGatewayProcess, type FrontDoorUnderTest } from './lib/gateway-process.js';
import { benchDatabaseUrl, startAikeysBench } from './lib/pipeline-aikeys.js';
import { startSimulatorChild } from './lib/pipeline-simulator.js';

export interface GatewayBenchOptions {
  readonly redisUrl?: string;
  /** Any database URL on the Postgres server; the bench uses (creates, drops) `aikeys_bench_gateway_<pid>` there. */
  readonly databaseUrl?: string;
  readonly concurrency?: number;
  readonly latencyMs?: number;
  /** Measured time per path, split over `rounds`. */
  readonly durationMs?: number;
  readonly rounds?: number;
  readonly warmupMs?: number;
  /** The paths to run (default: all); one alone suits a CPU profile of that path. */
  readonly paths?: readonly GatewayPath[];
  /** Another checkout whose front door also runs (the `...Other` paths, added to `paths`). */
  readonly other?: string;
  /** Each front door in a process of its own (bench/lib/gateway-process.ts). */
  readonly gatewayProcess?: boolean;
  readonly log?: (line: string) => void;
}

const JOB: AiJobData = {
  model: LOAD_MODEL,
  messages: [{ role: 'user', content: LOAD_PROMPT }],
  maxTokens: 16,
};
const CLIENT_TOKEN = `bench-client-token-${'x'.repeat(24)}`;
const ALL_PATHS: readonly GatewayPath[] = ['direct', 'pipeline', 'frontDoor', 'frontDoorStream'];
const LOAD = fileURLToPath(new URL('./lib/gateway-load.ts', import.meta.url));
const THIS_CHECKOUT = fileURLToPath(new URL('..', import.meta.url));

/** One closed-loop sample of the openai client in a child process. */
function loadChild(args: {
  baseURL: string;
  apiKey: string;
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  mode: 'whole' | 'stream';
}): Promise<LoadSample> {
  const { baseURL, apiKey, concurrency, durationMs, warmupMs, mode } = args;
  const argv = [
    '--import',
    'tsx',
    LOAD,
    baseURL,
    apiKey,
    String(concurrency),
    String(durationMs),
    String(warmupMs),
    mode,
  ];
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as LoadSample);
    });
  });
}

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
    const database = `aikeys_bench_gateway_${process.pid}`;
    const system = await startAikeysBench({
      redisUrl: options.redisUrl ?? 'redis://127.0.0.1:6379',
      databaseUrl: options.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      openaiBaseUrl: simulator.openaiBaseUrl,
      concurrency,
      job: JOB,
      extraEnv: { AIKEYS_GATEWAY_TOKENS: `bench:${CLIENT_TOKEN}` },
      // Its own database: other benches (and other runs of this one) may be running beside it.
      databaseName: database,
    });
    closers.unshift(() => system.close());
    const childEnv = {
      REDIS_URL: options.redisUrl ?? 'redis://127.0.0.1:6379',
      DATABASE_URL: benchDatabaseUrl(
        options.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres',
        database,
      ),
      AIKEYS_PREFIX: system.prefix,
      AI_PROVIDER_OPENAI_BASE_URL: simulator.openaiBaseUrl,
      LOG_LEVEL: 'warn',
      AIKEYS_GATEWAY_TOKENS: `bench:${CLIENT_TOKEN}`,
    };
    const startFrontDoor = async (checkout: string): Promise<FrontDoorUnderTest> => {
      const frontDoor = options.gatewayProcess
        ? await startGatewayProcess({ checkout, file: system.container.config.file, env: childEnv })
        : await startFrontDoorHere(checkout, system.container);
      closers.unshift(() => frontDoor.close());
      return frontDoor;
    };
    const gateway = await startFrontDoor(THIS_CHECKOUT);
    const other = options.other === undefined ? undefined : await startFrontDoor(options.other);
    const frontDoorOf = (path: GatewayPath) =>
      path === 'frontDoor' || path === 'frontDoorStream'
        ? gateway
        : path === 'frontDoorOther' || path === 'frontDoorStreamOther'
          ? other
          : undefined;
    const producer = createProducer({
      connection: system.container.bullConnection,
      prefix: system.prefix,
      queueName: system.container.config.services.queueName,
    });
    closers.unshift(() => producer.close());
    // The producer's QueueEvents reader starts with its first call: not inside the measured loop.
    await producer.run(JOB);
    const client = (baseURL: string, apiKey: string, mode: 'whole' | 'stream') => ({ baseURL, apiKey, mode });
    const clients = {
      direct: client(simulator.openaiBaseUrl, 'sk-bench-direct', 'whole'),
      frontDoor: client(`${gateway.url}/v1`, CLIENT_TOKEN, 'whole'),
      frontDoorStream: client(`${gateway.url}/v1`, CLIENT_TOKEN, 'stream'),
      frontDoorOther: client(`${other?.url}/v1`, CLIENT_TOKEN, 'whole'),
      frontDoorStreamOther: client(`${other?.url}/v1`, CLIENT_TOKEN, 'stream'),
    } as const;
    // Another checkout's rows right after this one's: each pair runs back to back in every round.
    const paths = (options.paths ?? ALL_PATHS).flatMap((p): GatewayPath[] =>
      other === undefined || !(p === 'frontDoor' || p === 'frontDoorStream') ? [p] : [p, `${p}Other`],
    );
    const samples = Object.fromEntries(paths.map((p) => [p, [] as LoopSample[]])) as Record<
      GatewayPath,
      LoopSample[]
    >;
    const failed = Object.fromEntries(paths.map((p) => [p, 0])) as Record<GatewayPath, number>;
    // This process's CPU (front door, workers, producer) per request: unlike requests/s on a
    // machine shared with other work, it hardly moves with the load around it.
    const cpuMs = Object.fromEntries(paths.map((p) => [p, 0])) as Record<GatewayPath, number>;
    // With --gateway-process, the front door's own process (added to the column above as well).
    const gatewayCpuMs = Object.fromEntries(paths.map((p) => [p, 0])) as Record<GatewayPath, number>;
    for (let round = 1; round <= rounds; round++) {
      // Every other round in reverse order, so no path always follows the same one.
      for (const path of round % 2 === 1 ? paths : [...paths].reverse()) {
        const warm = round === 1 ? warmupMs : 300;
        let sample: LoopSample;
        const frontDoorCpu = frontDoorOf(path)?.cpuUs;
        const gatewayBefore = (await frontDoorCpu?.()) ?? 0;
        const cpuBefore = process.cpuUsage();
        if (path === 'pipeline') {
          sample = await sampleLoop(
            concurrency,
            slice,
            () =>
              bounded(producer.run(JOB)).then(
                () => undefined,
                (error: unknown) => {
                  if (failed.pipeline++ === 0) log(`pipeline: first failure: ${String(error)}`);
                },
              ),
            warm,
          );
        } else {
          const load = await loadChild({ ...clients[path], concurrency, durationMs: slice, warmupMs: warm });
          if (load.failed > 0 && failed[path] === 0) log(`${path}: first failure: ${load.firstError}`);
          failed[path] += load.failed;
          sample = load;
        }
        const cpu = process.cpuUsage(cpuBefore);
        const gatewayCpu = ((await frontDoorCpu?.()) ?? 0) - gatewayBefore;
        // The sample's warm-up and drain are included: charged per request recorded, slightly high.
        cpuMs[path] += (cpu.user + cpu.system + gatewayCpu) / 1000;
        gatewayCpuMs[path] += gatewayCpu / 1000;
        samples[path].push(sample);
        // Each round's p50 too: how far rounds of one path spread says what a difference is worth.
        const { perSecond, p50Ms } = summarise([sample]);
        log(
          `round ${round}/${rounds}: ${path} ${Math.round(perSecond)} requests/s, p50 ${p50Ms.toFixed(2)} ms`,
        );
      }
    }
    const result = Object.fromEntries(
      paths.map((p) => {
        const summary = summarise(samples[p]);
        const served = samples[p].reduce((n, x) => n + x.latenciesMs.length, 0);
        const perRequest = (ms: number) => (ms * 1000) / Math.max(1, served);
        const own = options.gatewayProcess && frontDoorOf(p) !== undefined;
        return [
          p,
          {
            ...summary,
            failed: failed[p],
            cpuUsPerRequest: perRequest(cpuMs[p]),
            ...(own ? { gatewayCpuUsPerRequest: perRequest(gatewayCpuMs[p]) } : {}),
          },
        ];
      }),
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
      paths: { type: 'string' },
      other: { type: 'string' },
      'gateway-process': { type: 'boolean' },
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
    other: values.other,
    gatewayProcess: values['gateway-process'],
    paths: values.paths?.split(',').filter((p): p is GatewayPath => (ALL_PATHS as string[]).includes(p)),
    log: (line) => console.error(`[gateway] ${line}`),
  });
  console.log(formatGatewayBench(result));
}
