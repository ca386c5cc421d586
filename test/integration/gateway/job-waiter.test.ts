/**
 * The one events reader per process: results fanned out by job id to many waiting requests, a
 * result that came before its waiter still found, and a deadline answered with the job's state.
 */
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { jobEventsClientName } from '../../../src/gateway/job-events.js';
import { createJobWaiter, FINISHED_CHECK_MS, type JobWaiter } from '../../../src/gateway/job-waiter.js';
import { startGatewayServer, type RunningGateway } from '../../../src/runtime/gateway-server.js';
import { closeInOrder } from '../../../src/runtime/shutdown.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../../src/simulator/server.js';
import { isolate } from '../../setup/isolation.js';
import { startSystem, type TestSystem } from '../jobs/system.js';

const TOKEN = `load-${'l'.repeat(40)}`;
const env = isolate('gwwaiter');
let sim: SimulatedProvider;
let s: TestSystem;
let gateway: RunningGateway;
let waiter: JobWaiter;

beforeAll(async () => {
  // A little latency, so that hundreds of requests are in flight at once.
  sim = await startSimulatedProvider({ latencyMs: 20 });
  s = await startSystem(env, sim.openaiBaseUrl, [
    `AIKEYS_GATEWAY_TOKENS=load:${TOKEN}`,
    'KEY_1=sk-waiter-0001',
    'KEY_2=sk-waiter-0002',
  ]);
  gateway = await startGatewayServer(s.container, { port: 0 });
  waiter = await createJobWaiter(s.producer.queue, s.container.bullConnection);
}, 60_000);

afterAll(async () => {
  await closeInOrder(
    [...(gateway?.closeSteps ?? []), { name: 'waiter', close: async () => waiter?.close() }],
    silentLogger,
  );
  await s?.close();
  await sim?.close();
  await env.cleanup();
});

/**
 * Readers of this test's queue events: BullMQ's QueueEvents (connections named
 * `<prefix>:<base64 queue>:qe`) and the front door's (job-events.ts).
 */
async function eventReaders(): Promise<number> {
  const redis = new Redis(env.redisUrl);
  try {
    const names = [
      `${env.prefix}:${Buffer.from(env.queueName).toString('base64')}:qe`,
      jobEventsClientName(s.producer.queue.keys.events!),
    ];
    const list = (await redis.client('LIST')) as string;
    return list.split('\n').filter((line) => names.some((name) => line.includes(` name=${name} `))).length;
  } finally {
    redis.disconnect();
  }
}

describe('waiting for job results', () => {
  it('finds the result of a job that finished before its waiter registered', async () => {
    const jobId = await s.producer.enqueue({ messages: [{ role: 'user', content: 'early bird' }] });
    const job = await s.producer.queue.getJob(jobId);
    await job!.waitUntilFinished(s.events, 20_000);
    const outcome = await waiter.wait(jobId, Date.now() + 2_000);
    expect(outcome).toMatchObject({ kind: 'completed', result: { content: expect.any(String) } });
  });

  it('finds in Redis a result whose event it never read (FINISHED_CHECK_MS on)', async () => {
    const jobId = await s.producer.enqueue({ messages: [{ role: 'user', content: 'before the reader' }] });
    await (await s.producer.queue.getJob(jobId))!.waitUntilFinished(s.events, 20_000);
    // A reader that starts after the event: as if it had been reconnecting to Redis then.
    const late = await createJobWaiter(s.producer.queue, s.container.bullConnection);
    try {
      const outcome = await late.wait(jobId, Date.now() + FINISHED_CHECK_MS + 10_000);
      expect(outcome).toMatchObject({ kind: 'completed', result: { content: expect.any(String) } });
    } finally {
      await late.close();
    }
  }, 30_000);

  it('answers the job state at the deadline', async () => {
    const jobId = await s.producer.enqueue(
      { messages: [{ role: 'user', content: 'later' }] },
      { delay: 60_000 },
    );
    const outcome = await waiter.wait(jobId, Date.now() + 200);
    expect(outcome).toMatchObject({ kind: 'timeout', state: 'delayed' });
    expect((outcome as { retryAtMs: number }).retryAtMs).toBeGreaterThan(Date.now() + 50_000);
    await s.producer.queue.remove(jobId);
  });

  it('serves 200 concurrent requests with the one events reader of the gateway', async () => {
    const before = await eventReaders();
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TOKEN, maxRetries: 0 });
    let peak = 0;
    let readersAtPeak = -1;
    const watch = setInterval(() => {
      const now = gateway.frontDoor.waiter.waiting;
      if (now > peak) peak = now;
    }, 2);
    const answers = Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        client.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: `request ${i}` }],
        }),
      ),
    );
    // Sample the readers while many requests wait at once.
    const deadline = Date.now() + 20_000;
    while (gateway.frontDoor.waiter.waiting < 50 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2));
    }
    readersAtPeak = await eventReaders();
    const done = await answers;
    clearInterval(watch);
    expect(done).toHaveLength(200);
    expect(done.every((c) => typeof c.choices[0]?.message.content === 'string')).toBe(true);
    expect(peak).toBeGreaterThanOrEqual(50);
    // The system's own reader, this file's waiter and the gateway's: none added per request.
    expect(before).toBe(3);
    expect(readersAtPeak).toBe(before);
    expect(gateway.frontDoor.waiter.waiting).toBe(0);
  }, 60_000);
});
