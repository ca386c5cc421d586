/**
 * Slow start through the job processor: 16 jobs at once on a freshly imported pool. A key that
 * answers 401 costs one call and a key that answers 500 at most AI_CIRCUIT_BREAKER_THRESHOLD calls,
 * instead of every call in flight at once going to it.
 */
import { randomBytes } from 'node:crypto';
import { DelayedError } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callProvider, type AiJobHandle } from '../../../src/jobs/call-provider.js';
import type { AiJobResult } from '../../../src/jobs/job-schema.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../../src/simulator/server.js';
import { findKeyByName } from '../../../src/store/keys.js';
import { isolate, type Isolated } from '../../setup/isolation.js';
import { startSystem, type TestSystem } from './system.js';

const JOBS = 16;
const secret = (behaviour: string) => `${behaviour}-${randomBytes(8).toString('hex')}`;
let sim: SimulatedProvider;
const envs: Isolated[] = [];
const systems: TestSystem[] = [];

beforeAll(async () => {
  sim = await startSimulatedProvider({ port: 0 });
});

afterAll(async () => {
  for (const s of systems) await s.close();
  await sim.close();
  for (const env of envs) await env.cleanup();
});

/** Runs one job to its answer; a job told to wait for a key runs again shortly (as BullMQ would, later). */
async function runJob(s: TestSystem, id: string): Promise<AiJobResult> {
  for (let run = 1; run <= 400; run++) {
    const job: AiJobHandle = {
      id,
      data: { messages: [{ role: 'user', content: id }], maxTokens: 16 },
      attemptsStarted: run,
      moveToDelayed: () => Promise.resolve(),
    };
    try {
      return await callProvider(job, undefined, s.container.jobDeps);
    } catch (error) {
      if (!(error instanceof DelayedError)) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  throw new Error(`job ${id} never got a key`);
}

/** Batches of 16 jobs at once, until key_1 is disabled (at most `batches`); every job gets its answer. */
async function sixteenAtOnce(badKey: string, batches = 1): Promise<TestSystem> {
  const env = isolate('jobs-slow-start');
  envs.push(env);
  const s = await startSystem(env, sim.openaiBaseUrl, [
    `KEY_1=${badKey}`,
    `KEY_2=${secret('sim-ok')}`,
    `KEY_3=${secret('sim-ok')}`,
    'AI_CIRCUIT_BREAKER_THRESHOLD=3',
  ]);
  systems.push(s);
  for (let b = 0; b < batches; b++) {
    const results = await Promise.all(Array.from({ length: JOBS }, (_, i) => runJob(s, `slow-${b}-${i}`)));
    expect(results.every((r) => r.content.startsWith('echo: slow-'))).toBe(true);
    if ((await findKeyByName(s.container.db, 'key_1'))?.status === 'disabled') break;
  }
  return s;
}

describe('slow start under 16 concurrent jobs', () => {
  it('an invalid key gets one call, then is disabled', async () => {
    const invalid = secret('sim-401');
    const s = await sixteenAtOnce(invalid);
    expect(sim.stats.forKey(invalid).requests).toBe(1);
    expect(await findKeyByName(s.container.db, 'key_1')).toMatchObject({ status: 'disabled' });
  });

  it('a key answering 500 gets at most AI_CIRCUIT_BREAKER_THRESHOLD calls, then is disabled', async () => {
    const dead = secret('sim-500');
    // A first batch may finish on the good keys before the third failure: more batches until then.
    const s = await sixteenAtOnce(dead, 5);
    expect(await findKeyByName(s.container.db, 'key_1')).toMatchObject({ status: 'disabled' });
    expect(sim.stats.forKey(dead).requests).toBe(3);
  });
});

describe('a retry while the untried keys are held to one call', () => {
  it('waits a moment for the busy key instead of failing as if only tried keys could serve', async () => {
    const env = isolate('jobs-slow-start');
    envs.push(env);
    const s = await startSystem(env, sim.openaiBaseUrl, [
      `KEY_1=${secret('sim-500')}`,
      `KEY_2=${secret('sim-ok')}`,
      'AI_CIRCUIT_BREAKER_THRESHOLD=3',
    ]);
    systems.push(s);
    const failing = await s.keyId('key_1');
    // key_2 has not succeeded yet, so slow start lets it take one call; this lease is that call.
    const held = await s.container.pool.lease({
      provider: 'openai',
      estimatedTokens: 1,
      excludeKeyIds: [failing],
    });
    if (!held.ok) throw new Error('expected key_2');
    expect(held.key.keyName).toBe('key_2');
    const freed = new Promise<void>((resolve) =>
      setTimeout(() => {
        void s.container.pool.release(held.key, { kind: 'success', tokens: 1 }).then(() => resolve());
      }, 300),
    );

    // key_1 answers 500; the retry finds key_2 busy for a moment and takes it once it is free.
    const result = await runJob(s, 'busy-retry');
    await freed;
    expect(result.keyName).toBe('key_2');
    expect(result.attempts.map((a) => [a.keyName, a.status])).toEqual([
      ['key_1', 500],
      ['key_2', 200],
    ]);
  });
});
