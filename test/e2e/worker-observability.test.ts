/**
 * A worker replica (`npm run worker`, a real child process) serves /healthz, /readyz and /metrics
 * on its own PORT. After jobs that meet keys failing on purpose (invalid, out of quota, rate
 * limited, server error, too slow) its counters and histograms show each outcome with the key's
 * labels; its spans reach an OTLP/HTTP endpoint in the trace the producer passed in the job; and
 * neither the metrics nor the spans carry a secret or a prompt.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';
import { listAccounts } from '../../src/store/accounts.js';
import type { Db } from '../../src/store/database.js';
import { isolate } from '../setup/isolation.js';
import { importTestKeys, writeTestEnvFile, type TestEnvFile } from './support/env-file.js';
import { startOtlpReceiver, type OtlpReceiver } from './support/otlp-receiver.js';
import { jobsFor, openTestQueue, uniquePrompts, type AiQueue } from './support/pipeline.js';
import { killAll, spawnWorker, stopWorker, type WorkerProcess } from './support/worker-process.js';

const JOBS = 6;
const PRODUCER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN = '00f067aa0ba902b7';

const env = isolate('e2e-observe');
let simulator: SimulatedProvider;
let receiver: OtlpReceiver;
let envFile: TestEnvFile;
let db: Db;
let redis: Redis;
let queue: AiQueue;
let worker: WorkerProcess;
let prompts: string[];
const workers: WorkerProcess[] = [];

async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${worker?.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The value of one sample line `name{labels} value`, labels in the order prom-client writes them. */
function sample(metrics: string, name: string, labels: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

beforeAll(async () => {
  simulator = await startSimulatedProvider({ port: 0, latencyMs: 20, seed: 5 });
  receiver = await startOtlpReceiver();
  envFile = await writeTestEnvFile(
    // Primary account (keys 1-3) all fail (two jobs at once may both meet one),, so every early job meets each failure before the fallback's ok key.
    [
      { prefix: 'sim-401-revoked' },
      { prefix: 'sim-quota-empty' },
      { prefix: 'sim-429-600-busy' },
      { prefix: 'sim-500-down' },
      { prefix: 'sim-slow5000-stuck' },
      { prefix: 'sim-ok-good', maxConcurrency: 4 },
    ],
    {
      AI_PROVIDER_OPENAI_BASE_URL: simulator.openaiBaseUrl,
      AI_WORKER_CONCURRENCY: 2,
      AI_MAX_RETRIES: 6,
      AI_RETRY_DELAY_MS: 0,
      AI_REQUEST_TIMEOUT_MS: 1000,
      // Not what this test is about: a paused provider would only delay the jobs.
      AI_CIRCUIT_BREAKER_THRESHOLD: 1000,
    },
  );
  ({ db } = await importTestKeys(env, envFile));
  // Keys already in service: a new key's slow start (one call at a time) is not what this test is about.
  await db('ai_api_keys').update({ last_used_at: new Date() });
  ({ redis, queue } = openTestQueue(env.redisUrl, env.queueName, env.prefix));
  worker = spawnWorker({
    isolated: env,
    envFile: envFile.file,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'aikeys-worker-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
  workers.push(worker);
  await worker.ready;
}, 60_000);

afterAll(async () => {
  await killAll(workers);
  await queue?.close();
  redis?.disconnect();
  await db?.destroy();
  await simulator?.close();
  await receiver?.close();
  await env.cleanup();
});

describe('a worker replica with its own PORT', () => {
  it('answers /healthz and /readyz there once its worker runs', async () => {
    const url = await until('the probe address in the log', () => worker.probeUrl());
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const ready = await until('readiness', async () => {
      const res = await fetch(`${url}/readyz`);
      return res.status === 200 ? ((await res.json()) as { checks: Record<string, string> }) : undefined;
    });
    expect(ready.checks).toEqual({ redis: 'ok', postgres: 'ok', workers: 'ok', shutdown: 'ok' });
  });

  it('counts each outcome with its key, and traces each job in the producer’s trace', async () => {
    const url = worker.probeUrl()!;
    prompts = uniquePrompts(JOBS);
    const jobs = jobsFor(prompts).map((data, i) =>
      // Half the jobs carry a producer's trace context, as createProducer adds it from an active span.
      i % 2 === 0
        ? { ...data, metadata: { traceparent: `00-${PRODUCER_TRACE}-${PRODUCER_SPAN}-01`, tenant: 't1' } }
        : data,
    );
    await queue.addBulk(jobs.map((data) => ({ name: 'chat', data })));
    await until('every job completed', async () => {
      const counts = await queue.getJobCounts('completed', 'failed');
      if ((counts.failed ?? 0) > 0) throw new Error(`a job failed: ${JSON.stringify(counts)}`);
      return counts.completed === JOBS || undefined;
    });

    const metrics = await (await fetch(`${url}/metrics`)).text();
    const [account, fallback] = (await listAccounts(db))
      .sort((x, y) => x.priority - y.priority)
      .map((x) => x.name);
    const calls = (acct: string, key: string, outcome: string) =>
      sample(
        metrics,
        'aikeys_provider_calls_total',
        `provider="openai",model="gpt-4o-mini",account="${acct}",key="${key}",client="queue",outcome="${outcome}"`,
      );
    expect(calls(account!, 'key_1', 'invalid_key')).toBeGreaterThanOrEqual(1);
    expect(calls(account!, 'key_2', 'quota')).toBeGreaterThanOrEqual(1);
    expect(calls(account!, 'key_3', 'rate_limited')).toBeGreaterThanOrEqual(1);
    expect(calls(fallback!, 'key_4', 'server_error')).toBeGreaterThanOrEqual(1);
    expect(calls(fallback!, 'key_5', 'timeout')).toBeGreaterThanOrEqual(1);
    expect(calls(fallback!, 'key_6', 'success')).toBe(JOBS);
    expect(
      sample(
        metrics,
        'aikeys_provider_call_duration_seconds_count',
        'provider="openai",model="gpt-4o-mini",outcome="timeout"',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(
        metrics,
        'aikeys_provider_call_duration_seconds_bucket',
        'le="0.5",provider="openai",model="gpt-4o-mini",outcome="timeout"',
      ),
    ).toBe(0); // a timeout took the whole AI_REQUEST_TIMEOUT_MS
    expect(sample(metrics, 'aikeys_job_key_wait_seconds_count', 'provider="openai"')).toBe(JOBS);
    expect(
      sample(metrics, 'aikeys_lease_duration_seconds_count', 'provider="openai",result="leased"'),
    ).toBeGreaterThanOrEqual(JOBS + 5);
    expect(sample(metrics, 'aikeys_job_provider_calls_count', 'provider="openai",result="completed"')).toBe(
      JOBS,
    );
    // Retries: every call belongs to one job run, and the early jobs made more than one.
    const allCalls = metrics
      .split('\n')
      .filter((l) => l.startsWith('aikeys_provider_calls_total{'))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(sample(metrics, 'aikeys_job_provider_calls_sum', 'provider="openai",result="completed"')).toBe(
      allCalls,
    );
    expect(
      sample(metrics, 'aikeys_job_provider_calls_bucket', 'le="1",provider="openai",result="completed"'),
    ).toBeLessThan(JOBS);
    // client="queue": these jobs came straight from a producer, not through the front door.
    const labels = `provider="openai",model="gpt-4o-mini",account="${fallback}",key="key_6",client="queue"`;
    expect(sample(metrics, 'aikeys_tokens_total', `${labels},kind="prompt"`)).toBeGreaterThan(0);
    expect(sample(metrics, 'aikeys_tokens_total', `${labels},kind="completion"`)).toBeGreaterThan(0);
    expect(sample(metrics, 'aikeys_cost_usd_total', labels)).toBeGreaterThan(0);
    expect(
      sample(metrics, 'aikeys_key_in_flight_calls', `provider="openai",account="${fallback}",key="key_6"`),
    ).toBe(0);
    expect(sample(metrics, 'aikeys_queue_jobs', `queue="${env.queueName}",state="completed"`)).toBe(JOBS);
    expect(sample(metrics, 'aikeys_queue_oldest_waiting_seconds', `queue="${env.queueName}"`)).toBe(0);
    expect(metrics).toMatch(/^aikeys_usage_backlog_records \d+$/m);

    // Spans: the producer's trace id on the jobs that carried it, one trace per other job run.
    const untracedRuns = () =>
      receiver.spans.filter((s) => s.name.startsWith('process ') && s.traceId !== PRODUCER_TRACE);
    const traced = await until('every job’s spans', () => {
      const inTrace = receiver.spans.filter((s) => s.traceId === PRODUCER_TRACE);
      const runs = inTrace.filter((s) => s.name.startsWith('process ')).length;
      return runs >= JOBS / 2 && untracedRuns().length >= JOBS / 2 ? inTrace : undefined;
    });
    const runs = traced.filter((s) => s.name.startsWith('process '));
    expect(runs.every((s) => s.parentSpanId === PRODUCER_SPAN)).toBe(true);
    expect(runs[0]!.serviceName).toBe('aikeys-worker-under-test');
    const runIds = new Set(runs.map((s) => s.spanId));
    const children = traced.filter((s) => runIds.has(s.parentSpanId));
    for (const name of ['aikeys.key_wait', 'aikeys.lease', 'chat gpt-4o-mini', 'aikeys.release'])
      expect(children.map((s) => s.name)).toContain(name);
    const success = children.find(
      (s) => s.name === 'chat gpt-4o-mini' && s.attributes['aikeys.call.outcome'] === 'success',
    )!;
    expect(success.attributes).toMatchObject({
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
    });
    expect(success.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(success.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    // A job without a producer's context starts a trace of its own.
    const untraced = untracedRuns();
    expect(untraced.every((s) => s.parentSpanId === '')).toBe(true);
    expect(new Set(untraced.map((s) => s.traceId)).size).toBe(untraced.length);

    // Neither a secret nor a prompt anywhere in what the process exports.
    const exported = [metrics, ...receiver.bodies].join('\n');
    for (const secret of envFile.secrets) expect(exported).not.toContain(secret);
    for (const prompt of prompts) expect(exported).not.toContain(prompt);
    expect(exported).not.toContain('say back this line');
  }, 90_000);

  it('turns not ready as soon as a graceful shutdown starts, while in-flight calls finish', async () => {
    expect((await stopWorker(worker)).code).toBe(0);
    // A provider slow enough that the shutdown is still waiting for the call while the probe is read.
    const slow = await startSimulatedProvider({ port: 0, latencyMs: 3000, seed: 6, recordRequests: true });
    try {
      const replica = spawnWorker({
        isolated: env,
        envFile: envFile.file,
        env: { AI_PROVIDER_OPENAI_BASE_URL: slow.openaiBaseUrl, AI_REQUEST_TIMEOUT_MS: '10000' },
      });
      workers.push(replica);
      await replica.ready;
      const url = await until('the probe address', () => replica.probeUrl());
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      await queue.add('chat', jobsFor(uniquePrompts(1))[0]!);
      await until('a call in flight', () => slow.requests.length > 0 || undefined);

      replica.child.kill('SIGTERM');
      const report = await until(
        'readiness to turn false',
        async () => {
          const res = await fetch(`${url}/readyz`);
          return res.status === 503 ? ((await res.json()) as { checks: Record<string, string> }) : undefined;
        },
        2000,
      );
      expect(report.checks).toMatchObject({ shutdown: 'shutting down', redis: 'ok', postgres: 'ok' });
      expect((await fetch(`${url}/healthz`)).status).toBe(200); // alive: still finishing its call
      expect(await replica.exited).toEqual({ code: 0, signal: null });
    } finally {
      await slow.close();
    }
  }, 60_000);
});
