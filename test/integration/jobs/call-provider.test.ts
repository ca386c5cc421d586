import { randomBytes } from 'node:crypto';
import type { Command, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBullConnection } from '../../../src/queues/connections.js';
import { createProducer } from '../../../src/queues/producer.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../../src/simulator/server.js';
import { findKeyByName } from '../../../src/store/keys.js';
import { isolate, type Isolated } from '../../setup/isolation.js';
import { startSystem, type TestSystem } from './system.js';

const secret = (behaviour: string) => `${behaviour}-${randomBytes(8).toString('hex')}`;
let sim: SimulatedProvider;
const envs: Isolated[] = [];
const systems: TestSystem[] = [];

async function system(lines: string[], options: Parameters<typeof startSystem>[3] = {}): Promise<TestSystem> {
  const env = isolate('jobs');
  envs.push(env);
  const s = await startSystem(env, sim.openaiBaseUrl, lines, options);
  systems.push(s);
  return s;
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  sim = await startSimulatedProvider({ port: 0 });
});

afterAll(async () => {
  for (const s of systems) await s.close();
  await sim.close();
  for (const env of envs) await env.cleanup();
});

const ask = (content: string) => ({ messages: [{ role: 'user' as const, content }], maxTokens: 32 });

describe('the AI job processor', () => {
  it('fails invalid job data at once, naming the field, without retries', async () => {
    const s = await system([`KEY_1=${secret('sim-ok')}`]);
    const callsBefore = sim.stats.requests;
    const job = await s.queue.add('chat', { messages: [{ role: 'robot', content: 'hi' }] }, { attempts: 3 });
    await expect(job.waitUntilFinished(s.events, 20_000)).rejects.toThrow(
      /Invalid job data: messages\.0\.role/,
    );
    const failed = await s.queue.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
    expect(sim.stats.requests).toBe(callsBefore);
  });

  it('fails a job over AI_MAX_PROMPT_BYTES at once, naming the limit, without calling the provider', async () => {
    const s = await system([`KEY_1=${secret('sim-ok')}`, 'AI_MAX_PROMPT_BYTES=1000']);
    const callsBefore = sim.stats.requests;
    const job = await s.queue.add('chat', ask('x'.repeat(1001)), { attempts: 3 });
    await expect(job.waitUntilFinished(s.events, 20_000)).rejects.toThrow(
      'Invalid job data: messages: content is 1001 bytes, over the limit of 1000 bytes (AI_MAX_PROMPT_BYTES)',
    );
    expect((await s.queue.getJob(job.id!))?.attemptsMade).toBe(1);
    expect(sim.stats.requests).toBe(callsBefore);
    // The same size within the limit runs.
    await expect(s.producer.run(ask('x'.repeat(1000)), { timeoutMs: 20_000 })).resolves.toMatchObject({
      keyName: 'key_1',
    });
  });

  it('the producer waits on many jobs at once without a listener-leak warning', async () => {
    const s = await system([`KEY_1=${secret('sim-ok')}`, `KEY_2=${secret('sim-ok')}`]);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) => s.producer.run(ask(`many ${i}`), { timeoutMs: 30_000 })),
      );
      expect(results.map((r) => r.content)).toEqual(Array.from({ length: 24 }, (_, i) => `echo: many ${i}`));
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });

  it("the producer hears of a job that finishes before its events reader's first read", async () => {
    // The job takes 100 ms: it is still running when `run` first checks it.
    await system([`KEY_1=${secret('sim-slow100')}`]);
    const env = envs.at(-1)!;
    // BullMQ's events reader is ready once connected, but sends its first XREAD later: that XREAD
    // (on whichever copy of the connection reads) is held for 500 ms, while the job completes.
    let held = false;
    const holdingFirstXread = (redis: Redis): Redis => {
      const send = redis.sendCommand.bind(redis);
      redis.sendCommand = (command: Command, ...rest: unknown[]) => {
        if (held || command.name.toLowerCase() !== 'xread') return send(command, ...(rest as []));
        held = true;
        setTimeout(() => void send(command, ...(rest as [])), 500);
        return command.promise;
      };
      const duplicate = redis.duplicate.bind(redis);
      redis.duplicate = (...args: Parameters<Redis['duplicate']>) => holdingFirstXread(duplicate(...args));
      return redis;
    };
    const connection = holdingFirstXread(createBullConnection(env.redisUrl));
    const producer = createProducer({ connection, prefix: env.prefix, queueName: env.queueName });
    try {
      const result = await producer.run(ask('before the first read'), { timeoutMs: 5000 });
      expect(result.keyName).toBe('key_1');
      expect(held).toBe(true);
    } finally {
      await producer.close();
      connection.disconnect();
    }
  });

  it('the producer refuses oversized job data before it reaches the queue', async () => {
    const s = await system([`KEY_1=${secret('sim-ok')}`]);
    const waitingBefore = await s.queue.getJobCountByTypes('waiting', 'delayed', 'active', 'failed');
    await expect(s.producer.enqueue(ask('x'.repeat(1024 * 1024 + 1)))).rejects.toThrow(
      /over the limit of 1048576 bytes \(AI_MAX_PROMPT_BYTES\)/,
    );
    await expect(
      s.producer.enqueueBulk([
        ask('ok'),
        { messages: Array.from({ length: 1001 }, () => ({ role: 'user' as const, content: 'x' })) },
      ]),
    ).rejects.toThrow(/messages: must hold at most 1000 messages/);
    expect(await s.queue.getJobCountByTypes('waiting', 'delayed', 'active', 'failed')).toBe(waitingBefore);
  });

  it('retries a key-caused failure at once on another key and reports every attempt', async () => {
    const s = await system([`KEY_1=${secret('sim-401')}`, `KEY_2=${secret('sim-ok')}`]);
    const result = await s.producer.run(ask('retry me'), { timeoutMs: 20_000 });
    expect(result.content).toBe('echo: retry me');
    expect(result.keyName).toBe('key_2');
    expect(result.attempts).toEqual([
      { keyName: 'key_1', status: 401, error: expect.stringMatching(/401|invalid/i) },
      { keyName: 'key_2', status: 200, error: null },
    ]);
    const invalid = await findKeyByName(s.container.db, 'key_1');
    expect(invalid).toMatchObject({ status: 'disabled', disabledReason: 'invalid key (HTTP 401)' });
  });

  it('fails a request-caused failure without penalising the key', async () => {
    const s = await system([`KEY_1=${secret('sim-ok')}`, 'KEY_1_MODEL=missing-model']);
    await expect(s.producer.run(ask('no such model'), { timeoutMs: 20_000 })).rejects.toThrow(
      /Request rejected.*404/,
    );
    await s.container.pool.flush();
    const key = await findKeyByName(s.container.db, 'key_1');
    expect(key).toMatchObject({ status: 'active', consecutiveFailures: 0 });
  });

  it('delays a job while no key can serve, holding no lease, and runs it when the key unblocks', async () => {
    const s = await system([`KEY_1=${secret('sim-ok')}`]);
    const keyId = await s.keyId('key_1');
    await s.container.pool.block(keyId, 2);
    const blockedAt = Date.now();
    const id = await s.producer.enqueue(ask('wait for me'));
    await until(
      async () => (await s.queue.getJob(id))?.delay !== 0 && (await s.queue.getJobState(id)) === 'delayed',
    );
    const [state] = await s.container.engine.keyStates([keyId]);
    expect(state?.inflight).toBe(0);
    const job = (await s.queue.getJob(id))!;
    const result = await job.waitUntilFinished(s.events, 20_000);
    expect(result.content).toBe('echo: wait for me');
    expect((await s.queue.getJob(id))!.finishedOn!).toBeGreaterThanOrEqual(blockedAt + 1500);
  });

  it('fails with "No available API keys" and the reason once AI_NO_KEY_WAIT_MS has passed', async () => {
    const s = await system([`KEY_1=${secret('sim-ok')}`, 'AI_NO_KEY_WAIT_MS=300']);
    await s.container.pool.disable(await s.keyId('key_1'), 'testing');
    await expect(s.producer.run(ask('nobody home'), { timeoutMs: 20_000 })).rejects.toThrow(
      /^No available API keys: openai keys: 1 disabled/,
    );
  });

  it('waits out an infrastructure error while leasing instead of failing the job', async () => {
    let failuresLeft = 1;
    const s = await system([`KEY_1=${secret('sim-ok')}`], {
      wrapLeaser: (leaser) => ({
        lease: (request) => {
          if (failuresLeft-- > 0) return Promise.reject(new Error('connect ECONNREFUSED (simulated outage)'));
          return leaser.lease(request);
        },
        release: (...args) => leaser.release(...args),
        describeNoKey: (...args) => leaser.describeNoKey(...args),
      }),
    });
    const id = await s.producer.enqueue(ask('after the outage'));
    const job = (await s.queue.getJob(id))!;
    const result = await job.waitUntilFinished(s.events, 20_000);
    expect(result.content).toBe('echo: after the outage');
    expect((await s.queue.getJob(id))!.attemptsStarted).toBe(2);
  });

  it('keeps the answer when the key cannot be released after a successful call', async () => {
    const s = await system([`KEY_1=${secret('sim-ok')}`], {
      wrapLeaser: (leaser) => ({
        lease: (request) => leaser.lease(request),
        release: () => Promise.reject(new Error('connection lost (simulated)')),
        describeNoKey: (...args) => leaser.describeNoKey(...args),
      }),
    });
    const result = await s.producer.run(ask('answer survives'), { timeoutMs: 20_000 });
    expect(result.content).toBe('echo: answer survives');
    expect(result.attempts).toEqual([{ keyName: 'key_1', status: 200, error: null }]);
  });
});
