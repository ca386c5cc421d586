/**
 * The producer carries the caller's active span into the job (`metadata.traceparent`), so the
 * worker's spans join the caller's trace; a traceparent the caller set is kept, and outside any
 * span nothing is added.
 */
import { trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTraceparent } from '../../../src/observability/trace-context.js';
import { createProducer, type AiJobProducer } from '../../../src/queues/producer.js';
import { isolate } from '../../setup/isolation.js';

const env = isolate('producertrace');
const provider = new NodeTracerProvider();
let redis: Redis;
let producer: AiJobProducer;
const data = { messages: [{ role: 'user' as const, content: 'hello' }] };

beforeAll(() => {
  // As an application does: a global SDK with its context manager.
  provider.register();
  redis = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  producer = createProducer({ connection: redis, prefix: env.prefix, queueName: env.queueName });
});

afterAll(async () => {
  await producer?.close();
  redis?.disconnect();
  trace.disable();
  await provider.shutdown();
  await env.cleanup();
});

async function metadataOf(id: string): Promise<Record<string, unknown> | undefined> {
  const job = await producer.queue.getJob(id);
  return (job!.data as { metadata?: Record<string, unknown> }).metadata;
}

describe('createProducer and trace context', () => {
  it("puts the active span's traceparent into the job's metadata, beside the caller's own", async () => {
    const tracer = provider.getTracer('app');
    const { id, traceparent } = await tracer.startActiveSpan('handle request', async (span) => {
      const jobId = await producer.enqueue({ ...data, metadata: { tenant: 'a' } });
      span.end();
      return { id: jobId, traceparent: formatTraceparent(span.spanContext()) };
    });
    expect(await metadataOf(id)).toEqual({ tenant: 'a', traceparent });

    const [bulk] = await tracer.startActiveSpan('batch', async (span) => {
      const ids = await producer.enqueueBulk([data]);
      span.end();
      return ids;
    });
    expect((await metadataOf(bulk!))?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('keeps a traceparent the caller set, and adds nothing outside a span', async () => {
    const own = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const kept = await provider.getTracer('app').startActiveSpan('x', async (span) => {
      const jobId = await producer.enqueue({ ...data, metadata: { traceparent: own } });
      span.end();
      return jobId;
    });
    expect((await metadataOf(kept))?.traceparent).toBe(own);
    expect(await metadataOf(await producer.enqueue(data))).toBeUndefined();
  });
});
