/**
 * The job observer around a real BullMQ worker: a job delayed (as when no key can serve) and run
 * again is one trace, its later run a child of its first; a job carrying a producer's traceparent
 * keeps the producer's trace on every run. Spans are read from an in-memory exporter.
 */
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyLeaser } from '../../../src/jobs/ports.js';
import { registerJobMetrics } from '../../../src/observability/job-metrics.js';
import { createJobObserver } from '../../../src/observability/job-observer.js';
import { isolate } from '../../setup/isolation.js';

const env = isolate('jobtrace');
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const PRODUCER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
let redis: Redis;
let queue: Queue;
let worker: Worker;
const runsOf = new Map<string, number>();

beforeAll(async () => {
  redis = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue(env.queueName, { connection: redis, prefix: env.prefix });
  const observer = createJobObserver({
    metrics: registerJobMetrics(new Registry()),
    tracer: provider.getTracer('test'),
    accounts: { nameOf: (id) => `account-${id}` },
    queueName: env.queueName,
  });
  // Each job's first run waits (delayed, as callProvider does when no key can serve); the second completes.
  const noLeases: KeyLeaser = {
    lease: async () => {
      throw new Error('this processor leases no key');
    },
    describeNoKey: async () => '',
    release: async () => undefined,
  };
  const processor = observer.jobProcessor(noLeases, async (job: Job, token?: string) => {
    const runs = (runsOf.get(job.id!) ?? 0) + 1;
    runsOf.set(job.id!, runs);
    if (runs === 1) {
      await job.moveToDelayed(Date.now() + 100, token);
      throw new DelayedError();
    }
    return 'done';
  });
  worker = new Worker(env.queueName, processor, { connection: redis.duplicate(), prefix: env.prefix });
});

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  redis?.disconnect();
  await provider.shutdown();
  await env.cleanup();
});

async function finished(id: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await queue.getJobState(id)) !== 'completed') {
    if (Date.now() > deadline) throw new Error(`job ${id} did not complete`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const runSpans = (jobId: string) =>
  exporter
    .getFinishedSpans()
    .filter((s) => s.attributes['messaging.message.id'] === jobId)
    .sort((a, b) => Number(a.attributes['aikeys.job.run']) - Number(b.attributes['aikeys.job.run']));

describe('one trace per job', () => {
  it('joins the runs of a delayed job into the trace its first run started', async () => {
    const job = await queue.add('chat', {
      messages: [{ role: 'user', content: 'hi' }],
      metadata: { tenant: 'a' },
    });
    await finished(job.id!);
    const [first, second] = runSpans(job.id!);
    expect(first!.attributes['aikeys.job.result']).toBe('delayed');
    expect(second!.attributes['aikeys.job.result']).toBe('completed');
    expect(first!.parentSpanContext).toBeUndefined();
    expect(second!.spanContext().traceId).toBe(first!.spanContext().traceId);
    expect(second!.parentSpanContext?.spanId).toBe(first!.spanContext().spanId);
    // The producer's own metadata is kept beside it.
    expect((await queue.getJob(job.id!))!.data.metadata).toMatchObject({ tenant: 'a' });
  });

  it("keeps the producer's trace on every run", async () => {
    const job = await queue.add('chat', {
      messages: [{ role: 'user', content: 'hi' }],
      metadata: { traceparent: PRODUCER },
    });
    await finished(job.id!);
    const runs = runSpans(job.id!);
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      expect(run.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect(run.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    }
    expect((await queue.getJob(job.id!))!.data.metadata).toEqual({ traceparent: PRODUCER });
  });
});
