/**
 * A closed-loop load generator: `concurrency` callers each run `fn` back to back for `durationMs`,
 * after a short warm-up. Samples from several slices can be merged, so that benches can interleave
 * what they compare (on a shared machine, load changes from one second to the next). Clocks here
 * measure the bench, never lease state.
 */
import { performance } from 'node:perf_hooks';

export interface LoopSample {
  readonly seconds: number;
  readonly latenciesMs: readonly number[];
}

export interface LoopResult {
  readonly ops: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function summarise(samples: readonly LoopSample[]): LoopResult {
  const seconds = samples.reduce((s, x) => s + x.seconds, 0);
  const sorted = Float64Array.from(samples.flatMap((s) => s.latenciesMs)).sort();
  return {
    ops: sorted.length,
    perSecond: sorted.length / seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

export async function sampleLoop(
  concurrency: number,
  durationMs: number,
  fn: () => Promise<void>,
  warmupMs = Math.min(200, durationMs / 4),
): Promise<LoopSample> {
  const latencies: number[] = [];
  let recording = false;
  let stop = false;
  async function caller(): Promise<void> {
    while (!stop) {
      const start = performance.now();
      await fn();
      if (recording) latencies.push(performance.now() - start);
    }
  }
  const callers = Array.from({ length: concurrency }, caller);
  await new Promise((resolve) => setTimeout(resolve, warmupMs));
  recording = true;
  const began = performance.now();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  recording = false;
  const seconds = (performance.now() - began) / 1000;
  stop = true;
  await Promise.all(callers);
  return { seconds, latenciesMs: latencies };
}

/** One slice, summarised (for benches that do not interleave). */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  fn: () => Promise<void>,
  warmupMs?: number,
): Promise<LoopResult> {
  return summarise([await sampleLoop(concurrency, durationMs, fn, warmupMs)]);
}

/** Runs `fn` exactly `count` times in all, from `concurrency` callers each calling it back to back. */
export async function runCount(concurrency: number, count: number, fn: () => Promise<void>): Promise<void> {
  let left = count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await fn();
    }),
  );
}
