/**
 * A job run whose span does not record (tracing not set up, or the sampler dropped it) makes no
 * child spans for its leases, calls and releases, and its metrics are counted all the same; a
 * sampled run gets all of them. The key leaser under the observer is a stand-in: what is measured
 * here is the observer, not the lease engine.
 */
import { Registry } from 'prom-client';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import type { KeyLeaser } from '../../../src/jobs/ports.js';
import type { LeasedKey } from '../../../src/lease/types.js';
import { registerJobMetrics } from '../../../src/observability/job-metrics.js';
import { createJobObserver, type ObservedJob } from '../../../src/observability/job-observer.js';
import type { UsageRecord } from '../../../src/store/request-logs.js';

const key: LeasedKey = {
  lease: {
    leaseId: 'lease-1',
    keyId: 7,
    accountId: 1,
    provider: 'openai',
    model: 'gpt-4o-mini',
    estimatedTokens: 10,
    expiresAtMs: Date.now() + 60_000,
  } as LeasedKey['lease'],
  leaseId: 'lease-1',
  keyId: 7,
  keyName: 'key_7',
  accountId: 1,
  provider: 'openai',
  model: 'gpt-4o-mini',
  secret: new Secret('sk-untraced-test-0123456789'),
};

const record = {
  status: 200,
  promptTokens: 12,
  completionTokens: 3,
  costUsd: 0.0001,
  client: null,
} as unknown as UsageRecord;

const inner: KeyLeaser = {
  lease: async () => ({ ok: true, key }),
  describeNoKey: async () => 'none',
  release: async () => undefined,
};

const job: ObservedJob = {
  id: '1',
  data: { messages: [{ role: 'user', content: 'hi' }] },
  timestamp: Date.now(),
  opts: {},
  attemptsStarted: 1,
  updateData: async () => undefined,
};

async function runOneJob(sampled: boolean) {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({
    sampler: sampled ? new AlwaysOnSampler() : new AlwaysOffSampler(),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const registry = new Registry();
  const observer = createJobObserver({
    metrics: registerJobMetrics(registry),
    tracer: provider.getTracer('test'),
    accounts: { nameOf: () => 'primary' },
    queueName: 'ai-jobs',
  });
  await observer.jobProcessor(inner, async (_job, _token, leaser) => {
    const answer = await leaser.lease({ provider: 'openai', model: 'gpt-4o-mini', estimatedTokens: 10 });
    if (!answer.ok) throw new Error('expected a key');
    await leaser.release(answer.key, { kind: 'success' } as never, record);
  })(job);
  // Read before shutdown, which empties the in-memory exporter.
  const spans = exporter
    .getFinishedSpans()
    .map((s) => s.name)
    .sort();
  await provider.shutdown();
  const calls = (await registry.getSingleMetric('aikeys_provider_calls_total')!.get()).values;
  return { spans, calls };
}

describe('the job observer', () => {
  it('makes the run, lease, wait, call and release spans of a sampled run', async () => {
    const { spans, calls } = await runOneJob(true);
    expect(spans).toEqual(
      ['aikeys.key_wait', 'aikeys.lease', 'aikeys.release', 'chat gpt-4o-mini', 'process ai-jobs'].sort(),
    );
    expect(calls).toEqual([expect.objectContaining({ value: 1 })]);
  });

  it('makes no span at all for a run the sampler dropped, and still counts its call', async () => {
    const { spans, calls } = await runOneJob(false);
    expect(spans).toEqual([]);
    expect(calls).toEqual([
      expect.objectContaining({
        value: 1,
        labels: expect.objectContaining({ key: 'key_7', outcome: 'success', account: 'primary' }),
      }),
    ]);
  });
});
