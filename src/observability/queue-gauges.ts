/**
 * The signals to scale on, computed at scrape time (no timers, nothing to stop): jobs per queue and
 * state, the age of the oldest waiting job, and the usage stream's backlog. Every process that
 * holds the queues registers them; Prometheus queries take `max` over replicas, since each one
 * reads the same Redis.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Gauge, type Registry } from 'prom-client';

export const QUEUE_METRIC_NAMES = {
  queueJobs: 'aikeys_queue_jobs',
  oldestWaiting: 'aikeys_queue_oldest_waiting_seconds',
  usageBacklog: 'aikeys_usage_backlog_records',
} as const;

export const JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;

/** The queue part of the `Queue` class these gauges read (a test may hand in a real Queue). */
export type ScrapedQueue = Pick<Queue, 'name' | 'getJobCounts' | 'getWaiting'>;

/**
 * How long the oldest waiting job has been due: from its creation, or from the end of the delay
 * the producer asked for. Zero when nothing waits.
 */
async function oldestWaitingSeconds(queue: ScrapedQueue, now: number): Promise<number> {
  // getWaiting reads the list oldest first.
  const [oldest] = await queue.getWaiting(0, 0);
  if (!oldest) return 0;
  const dueAt = oldest.timestamp + (oldest.opts.delay ?? 0);
  return Math.max(0, (now - dueAt) / 1000);
}

export function registerQueueGauges(registry: Registry, queues: readonly ScrapedQueue[]): void {
  new Gauge({
    name: QUEUE_METRIC_NAMES.queueJobs,
    help: 'BullMQ jobs by queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const all = await Promise.all(
        queues.map(async (q) => [q.name, await q.getJobCounts(...JOB_STATES)] as const),
      );
      this.reset();
      for (const [queue, counts] of all) {
        for (const state of JOB_STATES) this.set({ queue, state }, counts[state] ?? 0);
      }
    },
  });

  new Gauge({
    name: QUEUE_METRIC_NAMES.oldestWaiting,
    help: 'Seconds the oldest waiting job of each queue has been due (0 when none waits)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      const now = Date.now();
      const ages = await Promise.all(
        queues.map(async (q) => [q.name, await oldestWaitingSeconds(q, now)] as const),
      );
      this.reset();
      for (const [queue, age] of ages) this.set({ queue }, age);
    },
  });
}

/** XLEN of the usage stream: the flusher deletes each record once Postgres has it, so this is the backlog. */
export function registerUsageBacklogGauge(registry: Registry, redis: Redis, streamKey: string): void {
  new Gauge({
    name: QUEUE_METRIC_NAMES.usageBacklog,
    help: 'Usage records in the Redis stream (XLEN) waiting to be written to Postgres',
    registers: [registry],
    async collect() {
      this.set(await redis.xlen(streamKey));
    },
  });
}
