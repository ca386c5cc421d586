/**
 * The front door's jobs of one event-loop turn go to Redis in one write: each request still gets
 * its own job id, a job with bad data gets its own refusal without costing the others theirs, and
 * the request's span still reaches the job although the batch is sent after the request's turn.
 */
import { trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AikeysError } from '../../../src/core/errors.js';
import { createJobEnqueuer, type JobEnqueuer } from '../../../src/gateway/enqueue-batch.js';
import type { AiJobData } from '../../../src/jobs/job-schema.js';
import { formatTraceparent } from '../../../src/observability/trace-context.js';
import { createProducer, type AiJobProducer } from '../../../src/queues/producer.js';
import { installCommandCounter } from '../../../bench/lib/pipeline-redis-count.js';
import { isolate } from '../../setup/isolation.js';

const env = isolate('gwbatch');
const provider = new NodeTracerProvider();
let redis: Redis;
let producer: AiJobProducer;
let enqueuer: JobEnqueuer;

const job = (content: string): AiJobData => ({ messages: [{ role: 'user', content }] });

beforeAll(async () => {
  provider.register();
  redis = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  // 64 bytes of prompt at most: a longer one is refused before anything is written.
  producer = createProducer({
    connection: redis,
    prefix: env.prefix,
    queueName: env.queueName,
    maxPromptBytes: 64,
  });
  enqueuer = createJobEnqueuer(producer);
  // The first add loads BullMQ's script: not the round trip counted below.
  await enqueuer.enqueue(job('warm-up'));
});

afterAll(async () => {
  trace.disable();
  await Promise.all([provider.shutdown(), producer?.close()]);
  redis?.disconnect();
  await env.cleanup();
});

async function contentOf(id: string): Promise<string | undefined> {
  const stored = await producer.queue.getJob(id);
  return stored?.data.messages[0]?.content;
}

describe('createJobEnqueuer', () => {
  it('adds the jobs of one turn with one round trip, each under its own id', async () => {
    const counter = installCommandCounter();
    try {
      counter.reset();
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => enqueuer.enqueue(job(`q${i}`))));
      expect(counter.snapshot().roundTrips).toBe(1);
      expect(new Set(ids).size).toBe(20);
      expect(await Promise.all(ids.map(contentOf))).toEqual(ids.map((_, i) => `q${i}`));
    } finally {
      counter.uninstall();
    }
  });

  it('refuses a job with bad data on its own and still adds the rest of its batch', async () => {
    const results = await Promise.allSettled([
      enqueuer.enqueue(job('fine one')),
      enqueuer.enqueue(job('x'.repeat(100))),
      enqueuer.enqueue(job('fine two')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refused = (results[1] as PromiseRejectedResult).reason as AikeysError;
    expect(refused).toBeInstanceOf(AikeysError);
    expect(refused.code).toBe('JOB_DATA_INVALID');
    const [one, , two] = results as PromiseFulfilledResult<string>[];
    expect(await contentOf(one!.value)).toBe('fine one');
    expect(await contentOf(two!.value)).toBe('fine two');
    expect(await producer.queue.getJobCountByTypes('waiting')).toBe(23);
  });

  it("carries each request's active span into its job", async () => {
    const tracer = provider.getTracer('gateway');
    const traced = (name: string) =>
      tracer.startActiveSpan(name, async (span) => {
        const id = await enqueuer.enqueue(job(name));
        span.end();
        return { id, traceparent: formatTraceparent(span.spanContext()) };
      });
    const [a, b] = await Promise.all([traced('a'), traced('b')]);
    expect(a.traceparent).not.toBe(b.traceparent);
    for (const { id, traceparent } of [a, b]) {
      const stored = await producer.queue.getJob(id);
      expect(stored?.data.metadata?.traceparent).toBe(traceparent);
    }
  });
});
