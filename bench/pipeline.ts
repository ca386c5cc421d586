/**
 * Pipeline throughput: jobs/s through the whole aikeys pipeline (producer -> BullMQ -> lease ->
 * provider -> release + usage write-back) against the simulated provider at 0 and 50 ms latency,
 * each next to baselines measured in the same run, at the same concurrency, against the same
 * simulator child: a raw BullMQ worker calling the provider with one fixed key through the official
 * `openai` client (the ceiling), the same with plain `fetch`, a raw BullMQ no-op worker, and the
 * provider called directly without a queue.
 * ratio = aikeys jobs/s / ceiling jobs/s (target >= 0.8). Redis commands and round trips per job
 * are counted client side for each worker variant.
 *
 * Alone: `npx tsx bench/pipeline.ts [--concurrency 32] [--duration-ms 6000] [--warmup-ms 3000] [--profile]`;
 * with the lease bench: `npm run bench` (or `npm run bench -- --only pipeline`).
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { AiJobData } from '../src/jobs/job-schema.js';
import { summarise as summariseLoop, type LoopResult, type LoopSample } from './lib/closed-loop.js';
import { startAikeysBench } from './lib/pipeline-aikeys.js';
import { batchSize, runBatch, warmUp, type BatchResult, type BatchTarget } from './lib/pipeline-batch.js';
import { installSocketCounter, type SocketCounter, type SocketCounts } from './lib/socket-count.js';
import { formatProfile, profile, summarise, type ProfileSummary } from './lib/pipeline-cpu-profile.js';
import {
  ceilingProcessor,
  directCalls,
  fetchProcessor,
  noopProcessor,
  startRawWorker,
} from './lib/pipeline-raw.js';
import {
  addCounts,
  installCommandCounter,
  NO_COUNTS,
  perJob,
  type CommandCounter,
  type CommandCounts,
} from './lib/pipeline-redis-count.js';
import { startSimulatorChild } from './lib/pipeline-simulator.js';

export interface WorkerRun extends BatchResult {
  readonly commandsPerJob: number;
  readonly roundTripsPerJob: number;
  /** Socket writes and reads of this process per job (Redis, Postgres, provider: socket-count.ts). */
  readonly socketWritesPerJob: number;
  readonly socketReadsPerJob: number;
  /** CPU time of the bench process (producer excluded, worker side included) per job, in µs. */
  readonly cpuUsPerJob: number;
  /** The same, round by round (the variants of one round run back to back, under one load). */
  readonly roundCpuUsPerJob: readonly number[];
  /** "evalsha 2.00, ..." per job, most frequent first. */
  readonly topCommands: string;
}

export interface PipelineBenchRow {
  readonly latencyMs: number;
  readonly concurrency: number;
  readonly aikeys: WorkerRun;
  readonly ceiling: WorkerRun;
  /** A raw BullMQ worker making the call with plain fetch (no SDK). */
  readonly fetch: WorkerRun;
  readonly noop: WorkerRun;
  readonly direct: LoopResult;
  /** aikeys / ceiling. */
  readonly ratio: number;
}

export interface PipelineBenchResults {
  readonly rows: readonly PipelineBenchRow[];
  readonly rounds: number;
  /**
   * CPU profile of one extra aikeys batch at the first latency (with `profile: true`), compared per
   * job with one of the fetch worker.
   */
  readonly profile?: ProfileSummary;
}

export interface PipelineBenchOptions {
  readonly redisUrl?: string;
  /** Any database URL on the Postgres server; the bench uses (creates, drops) `aikeys_bench_<pid>` there. */
  readonly databaseUrl?: string;
  readonly latencies?: readonly number[];
  readonly concurrency?: number;
  /** Measured time per variant and latency, split over `rounds` (batches sized from a warm-up). */
  readonly durationMs?: number;
  /** The variants take turns this many times, so a burst of load elsewhere hits all of them. */
  readonly rounds?: number;
  readonly warmupJobs?: number;
  /** Each variant runs this long before the measured rounds (default 3000). */
  readonly warmupMs?: number;
  readonly profile?: boolean;
  /** Also write the raw profile here (open it in Chrome DevTools or speedscope). */
  readonly profileFile?: string;
  readonly log?: (line: string) => void;
}

const JOB: AiJobData = {
  messages: [{ role: 'user', content: 'Explain rate limits in one sentence.' }],
  maxTokens: 16,
};

type WorkerVariant = 'aikeys' | 'ceiling' | 'fetch' | 'noop';

/** Median over rounds of `baseline`'s CPU per job over `aikeys`' in the same round. */
export function roundRatio(baseline: WorkerRun, aikeys: WorkerRun): number {
  const ratios = aikeys.roundCpuUsPerJob
    .map((us, i) => (baseline.roundCpuUsPerJob[i] ?? NaN) / us)
    .filter(Number.isFinite)
    .sort((x, y) => x - y);
  if (ratios.length === 0) return NaN;
  const mid = ratios.length >> 1;
  return ratios.length % 2 === 1 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2;
}

/** Batches of one variant, summed: jobs over seconds, commands over jobs. */
class Tally {
  jobs = 0;
  failed = 0;
  seconds = 0;
  cpuMs = 0;
  rounds: number[] = [];
  counts: CommandCounts = NO_COUNTS;
  sockets: SocketCounts = { writes: 0, reads: 0 };

  add(batch: BatchResult, counts: CommandCounts, sockets: SocketCounts): void {
    this.sockets = {
      writes: this.sockets.writes + sockets.writes,
      reads: this.sockets.reads + sockets.reads,
    };
    this.rounds.push((batch.cpuMs * 1000) / Math.max(1, batch.jobs));
    this.jobs += batch.jobs;
    this.failed += batch.failed;
    this.seconds += batch.seconds;
    this.cpuMs += batch.cpuMs;
    this.counts = addCounts(this.counts, counts);
  }

  result(): WorkerRun {
    const jobs = Math.max(1, this.jobs);
    return {
      jobs: this.jobs,
      failed: this.failed,
      seconds: this.seconds,
      perSecond: this.jobs / this.seconds,
      cpuMs: this.cpuMs,
      cpuUsPerJob: (this.cpuMs * 1000) / jobs,
      roundCpuUsPerJob: this.rounds,
      commandsPerJob: this.counts.commands / jobs,
      roundTripsPerJob: this.counts.roundTrips / jobs,
      socketWritesPerJob: this.sockets.writes / jobs,
      socketReadsPerJob: this.sockets.reads / jobs,
      topCommands: perJob(this.counts, jobs),
    };
  }
}

async function benchOneLatency(
  latencyMs: number,
  options: {
    redisUrl: string;
    databaseUrl: string;
    concurrency: number;
    durationMs: number;
    rounds: number;
    warmupJobs: number;
    warmupMs: number;
    profile: boolean;
    profileFile: string | undefined;
  },
  counter: CommandCounter,
  sockets: SocketCounter,
  log: (line: string) => void,
): Promise<{ row: PipelineBenchRow; profile?: ProfileSummary }> {
  const { redisUrl, concurrency, rounds } = options;
  const slice = options.durationMs / rounds;
  const simulator = await startSimulatorChild(latencyMs);
  const closers: (() => Promise<void>)[] = [() => simulator.close()];
  try {
    const base = simulator.openaiBaseUrl;
    log(`latency ${latencyMs} ms: starting aikeys (fresh database and prefix), ceiling and no-op workers`);
    const system = await startAikeysBench({
      redisUrl,
      databaseUrl: options.databaseUrl,
      openaiBaseUrl: base,
      concurrency,
      job: JOB,
      asNpmStart: true,
    });
    closers.unshift(() => system.close());
    const ceiling = await startRawWorker({
      redisUrl,
      name: 'ceiling',
      concurrency,
      processor: ceilingProcessor(base),
      job: JOB,
    });
    closers.unshift(() => ceiling.close());
    const plain = await startRawWorker({
      redisUrl,
      name: 'fetch',
      concurrency,
      processor: fetchProcessor(base),
      job: JOB,
    });
    closers.unshift(() => plain.close());
    const noop = await startRawWorker({
      redisUrl,
      name: 'noop',
      concurrency,
      processor: noopProcessor,
      job: JOB,
    });
    closers.unshift(() => noop.close());
    const targets: Record<WorkerVariant, BatchTarget> = {
      aikeys: system.target,
      ceiling: ceiling.target,
      fetch: plain.target,
      noop: noop.target,
    };
    const tallies: Record<WorkerVariant, Tally> = {
      aikeys: new Tally(),
      ceiling: new Tally(),
      fetch: new Tally(),
      noop: new Tally(),
    };
    const sizes = {} as Record<WorkerVariant, number>;
    for (const variant of Object.keys(targets) as WorkerVariant[]) {
      log(`latency ${latencyMs} ms: warming up ${variant}`);
      sizes[variant] = await warmUp(targets[variant], {
        firstJobs: options.warmupJobs,
        warmupMs: options.warmupMs,
        durationMs: slice,
      });
    }
    const direct: LoopSample[] = [];
    for (let round = 1; round <= rounds; round++) {
      log(`latency ${latencyMs} ms: round ${round}/${rounds}`);
      for (const variant of Object.keys(targets) as WorkerVariant[]) {
        counter.reset();
        sockets.reset();
        const batch = await runBatch(targets[variant], sizes[variant]);
        tallies[variant].add(batch, counter.snapshot(), sockets.snapshot());
        log(
          `latency ${latencyMs} ms: ${variant} ${batch.jobs} jobs, ${Math.round(batch.perSecond)} jobs/s, ${Math.round((batch.cpuMs * 1000) / Math.max(1, batch.jobs))} CPU µs/job`,
        );
        // Re-sized from the last batch: a warm-up can run slower than the steady state.
        sizes[variant] = batchSize(batch, slice, 100);
      }
      direct.push(await directCalls({ openaiBaseUrl: base, concurrency, durationMs: slice, job: JOB }));
    }
    let profiled: ProfileSummary | undefined;
    if (options.profile) {
      log(`latency ${latencyMs} ms: one more aikeys batch and one of the fetch worker, CPU-profiled`);
      const run = await profile(() => runBatch(system.target, sizes.aikeys));
      const fetchRun = await profile(() => runBatch(plain.target, sizes.fetch));
      if (options.profileFile) writeFileSync(options.profileFile, JSON.stringify(run.profile));
      profiled = summarise({ profile: run.profile, jobs: run.value.jobs }, 15, {
        profile: fetchRun.profile,
        jobs: fetchRun.value.jobs,
      });
    }
    const [a, c, f, n] = [
      tallies.aikeys.result(),
      tallies.ceiling.result(),
      tallies.fetch.result(),
      tallies.noop.result(),
    ];
    const row = {
      latencyMs,
      concurrency,
      aikeys: a,
      ceiling: c,
      fetch: f,
      noop: n,
      direct: summariseLoop(direct),
      ratio: a.perSecond / c.perSecond,
    };
    return profiled ? { row, profile: profiled } : { row };
  } finally {
    for (const close of closers)
      await close().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
  }
}

export async function benchPipeline(options: PipelineBenchOptions = {}): Promise<PipelineBenchResults> {
  const settings = {
    redisUrl: options.redisUrl ?? 'redis://127.0.0.1:6379',
    databaseUrl: options.databaseUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    concurrency: options.concurrency ?? 32,
    durationMs: options.durationMs ?? 6000,
    rounds: options.rounds ?? 3,
    warmupJobs: options.warmupJobs ?? 300,
    warmupMs: options.warmupMs ?? 3000,
    profile: false,
    profileFile: options.profileFile,
  };
  const log = options.log ?? (() => {});
  const rows: PipelineBenchRow[] = [];
  let profiled: ProfileSummary | undefined;
  const counter = installCommandCounter();
  const sockets = installSocketCounter();
  try {
    for (const latencyMs of options.latencies ?? [0, 50]) {
      const result = await benchOneLatency(
        latencyMs,
        { ...settings, profile: options.profile === true && profiled === undefined },
        counter,
        sockets,
        log,
      );
      rows.push(result.row);
      profiled ??= result.profile;
    }
  } finally {
    counter.uninstall();
    sockets.uninstall();
  }
  return profiled ? { rows, rounds: settings.rounds, profile: profiled } : { rows, rounds: settings.rounds };
}

export function formatPipelineBench(results: PipelineBenchResults): string {
  const { rows } = results;
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const failed = (r: WorkerRun) => (r.failed ? ` (${r.failed} failed)` : '');
  const table = [
    '| provider latency | concurrency | aikeys jobs/s | ceiling: raw BullMQ + openai SDK call | raw BullMQ no-op | direct provider calls (no queue) | aikeys / ceiling |',
    '|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.latencyMs} ms | ${r.concurrency} | ${n(r.aikeys.perSecond)}${failed(r.aikeys)} | ${n(r.ceiling.perSecond)}${failed(r.ceiling)} | ${n(r.noop.perSecond)} | ${n(r.direct.perSecond)} | ${r.ratio.toFixed(2)} |`,
    ),
  ];
  const redis = [
    '| provider latency | worker | jobs measured | bench-process CPU µs / job | Redis commands / job | round trips / job | socket writes, reads / job | commands / job (top) |',
    '|---:|---|---:|---:|---:|---:|---|---|',
    ...rows.flatMap((r) =>
      (['aikeys', 'ceiling', 'fetch', 'noop'] as const).map((k) => {
        const w = r[k];
        return `| ${r.latencyMs} ms | ${k} | ${n(w.jobs)} | ${n(w.cpuUsPerJob)} | ${w.commandsPerJob.toFixed(2)} | ${w.roundTripsPerJob.toFixed(2)} | ${w.socketWritesPerJob.toFixed(2)}, ${w.socketReadsPerJob.toFixed(2)} | ${w.topCommands} |`;
      }),
    ),
  ];
  // Jobs per CPU-second of this process, aikeys over a baseline = the baseline's CPU per job over aikeys'.
  // Also the median of the rounds' own ratios: a round's variants run back to back under one load,
  // so its ratio moves far less with a busy machine than the sums do.
  const cpu = [
    '| provider latency | CPU µs / job: aikeys | raw + fetch | raw + SDK | aikeys jobs per CPU-second vs fetch (goal >= 0.8) | vs SDK (goal >= 0.9) | median of rounds: vs fetch, vs SDK |',
    '|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.latencyMs} ms | ${n(r.aikeys.cpuUsPerJob)} | ${n(r.fetch.cpuUsPerJob)} | ${n(r.ceiling.cpuUsPerJob)} | ${(r.fetch.cpuUsPerJob / r.aikeys.cpuUsPerJob).toFixed(2)} | ${(r.ceiling.cpuUsPerJob / r.aikeys.cpuUsPerJob).toFixed(2)} | ${roundRatio(r.fetch, r.aikeys).toFixed(2)}, ${roundRatio(r.ceiling, r.aikeys).toFixed(2)} |`,
    ),
  ];
  const parts = [table.join('\n'), '', cpu.join('\n'), '', redis.join('\n')];
  if (results.profile) parts.push('', formatProfile(results.profile));
  return parts.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string' },
      'duration-ms': { type: 'string' },
      rounds: { type: 'string' },
      'warmup-ms': { type: 'string' },
      latencies: { type: 'string' },
      profile: { type: 'boolean' },
      'profile-file': { type: 'string' },
      redis: { type: 'string' },
      database: { type: 'string' },
    },
  });
  const results = await benchPipeline({
    redisUrl: values.redis,
    databaseUrl: values.database,
    concurrency: values.concurrency ? Number(values.concurrency) : undefined,
    durationMs: values['duration-ms'] ? Number(values['duration-ms']) : undefined,
    rounds: values.rounds ? Number(values.rounds) : undefined,
    warmupMs: values['warmup-ms'] ? Number(values['warmup-ms']) : undefined,
    latencies: values.latencies?.split(',').map(Number),
    profile: values.profile === true || values['profile-file'] !== undefined,
    profileFile: values['profile-file'],
    log: (line) => console.error(`[bench] ${line}`),
  });
  console.log(formatPipelineBench(results));
}
