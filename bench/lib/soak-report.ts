/** The soak's lines: one per 5,000 settled jobs, then growth after warm-up and the stream's state. */

export interface Checkpoint {
  readonly settled: number;
  readonly failed: number;
  readonly jobsPerSecond: number;
  /** Enqueue-to-settled times of the jobs since the previous checkpoint, ms. */
  readonly latencies: readonly number[];
  /** RSS of each worker process, bytes. */
  readonly rss: readonly number[];
  /** V8 heap in use of each worker right after a full collection, bytes (NaN: no answer). */
  readonly heapAfterGc: readonly number[];
  readonly redisMemory: number;
  readonly streamLength: number;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export function formatCheckpoint(c: Checkpoint): string {
  return (
    `${c.settled} settled (${c.failed} failed): ${c.jobsPerSecond.toFixed(0)} jobs/s, ` +
    `p50 ${percentile(c.latencies, 50).toFixed(0)} ms, p99 ${percentile(c.latencies, 99).toFixed(0)} ms; ` +
    `worker RSS ${c.rss.map(mb).join(', ')}; heap after GC ${c.heapAfterGc.map(mb).join(', ')}; Redis used_memory ${mb(c.redisMemory)}; usage stream ${c.streamLength}`
  );
}

/**
 * Growth from the checkpoint after warm-up (the second: JIT, pools and the 10,000 completed jobs
 * kept by count are in place by then) to the last, per worker and for Redis.
 */
export function growth(
  checkpoints: readonly Checkpoint[],
  end: {
    baselineRedis: number;
    finalRedis: number;
    streamLength: number;
    kept: Record<string, number>;
    latencies: readonly number[];
  },
): string[] {
  const warm = checkpoints[Math.min(1, checkpoints.length - 1)];
  const last = checkpoints[checkpoints.length - 1];
  if (!warm || !last) return ['no checkpoint reached'];
  const pct = (from: number, to: number) => `${(((to - from) / from) * 100).toFixed(1)}%`;
  return [
    `latency over all jobs: p50 ${percentile(end.latencies, 50).toFixed(0)} ms, p99 ${percentile(end.latencies, 99).toFixed(0)} ms`,
    `worker RSS growth ${warm.settled} -> ${last.settled} jobs: ${warm.rss.map((r, i) => pct(r, last.rss[i] ?? Number.NaN)).join(', ')}`,
    `worker heap after GC growth ${warm.settled} -> ${last.settled} jobs: ${warm.heapAfterGc.map((h, i) => pct(h, last.heapAfterGc[i] ?? Number.NaN)).join(', ')}`,
    `Redis used_memory: ${mb(end.baselineRedis)} before jobs, ${mb(warm.redisMemory)} at ${warm.settled}, ${mb(last.redisMemory)} at ${last.settled} (${pct(warm.redisMemory, last.redisMemory)}), ${mb(end.finalRedis)} after the usage stream drained`,
    `jobs kept by policy: ${end.kept.completed ?? 0} completed, ${end.kept.failed ?? 0} failed; usage stream length at the end: ${end.streamLength}`,
  ];
}
