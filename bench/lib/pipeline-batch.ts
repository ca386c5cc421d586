/**
 * Jobs per second through a BullMQ worker, measured the same way for every variant: the queue is
 * paused, N jobs are enqueued (so enqueueing costs nothing inside the window), the queue is resumed
 * and the clock runs until the worker has finished all N. A warm-up of a few seconds first fills
 * connection pools, JIT and the key caches, and its last rate sizes the measured batch to about
 * `durationMs`.
 */
import { performance } from 'node:perf_hooks';
import type { Queue, Worker } from 'bullmq';

export interface BatchResult {
  readonly jobs: number;
  readonly failed: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** CPU time (user + system) this process spent during the batch: the worker side's cost. */
  readonly cpuMs: number;
}

export interface BatchTarget {
  /** A queue on the worker's queue name and prefix (jobs are enqueued, paused and resumed on it). */
  readonly queue: Pick<Queue, 'pause' | 'resume'>;
  readonly worker: Pick<Worker, 'on' | 'off'>;
  /** Enqueues `count` jobs (the caller picks addBulk or the aikeys producer). */
  enqueue(count: number): Promise<void>;
}

const BATCH_TIMEOUT_MS = 180_000;

export async function runBatch(target: BatchTarget, count: number): Promise<BatchResult> {
  await target.queue.pause();
  await target.enqueue(count);
  let completed = 0;
  let failed = 0;
  let onCompleted = () => {};
  let onFailed = () => {};
  const finished = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `bench: batch of ${count} not finished after ${BATCH_TIMEOUT_MS} ms (${completed} completed, ${failed} failed)`,
          ),
        ),
      BATCH_TIMEOUT_MS,
    );
    const check = () => {
      if (completed + failed < count) return;
      clearTimeout(timer);
      resolve();
    };
    onCompleted = () => {
      completed++;
      check();
    };
    onFailed = () => {
      failed++;
      check();
    };
  });
  target.worker.on('completed', onCompleted);
  target.worker.on('failed', onFailed);
  try {
    const began = performance.now();
    const cpu = process.cpuUsage();
    await target.queue.resume();
    await finished;
    const seconds = (performance.now() - began) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      jobs: completed,
      failed,
      seconds,
      perSecond: completed / seconds,
      cpuMs: (used.user + used.system) / 1000,
    };
  } finally {
    target.worker.off('completed', onCompleted);
    target.worker.off('failed', onFailed);
  }
}

/** A measured batch sized from a warm-up's rate to last about `durationMs` (within [min, max]). */
export function batchSize(warm: BatchResult, durationMs: number, min = 200, max = 60_000): number {
  return Math.min(max, Math.max(min, Math.round((warm.perSecond * durationMs) / 1000)));
}

/**
 * Runs batches for about `warmupMs` and returns the size of a measured batch of about `durationMs`.
 * A few hundred jobs are not enough: a variant that runs more code (the aikeys pipeline: lease
 * engine, Postgres writes, token counts) is still far from its steady rate after them.
 */
export async function warmUp(
  target: BatchTarget,
  options: { firstJobs: number; warmupMs: number; durationMs: number },
): Promise<number> {
  const began = performance.now();
  let batch = await runBatch(target, options.firstJobs);
  for (;;) {
    const leftMs = options.warmupMs - (performance.now() - began);
    if (leftMs <= 0) return batchSize(batch, options.durationMs, 100);
    batch = await runBatch(target, batchSize(batch, Math.min(leftMs, options.durationMs), 100));
  }
}
