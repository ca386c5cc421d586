/**
 * Breaker trips and paused-provider refusals reach the process's metrics: two keys answering 500
 * open the provider's breaker (AI_CIRCUIT_BREAKER_THRESHOLD=1), and the next lease is refused
 * because the provider is paused. Real lease engine, queue and simulated provider.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeaseEvent } from '../../../src/observability/lease-events.js';
import {
  startProcessObservability,
  type ProcessObservability,
} from '../../../src/runtime/process-observability.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../../src/simulator/server.js';
import { isolate } from '../../setup/isolation.js';
import { startSystem, type TestSystem } from '../jobs/system.js';

const env = isolate('breakermetrics');
let sim: SimulatedProvider;
let system: TestSystem;
let observability: ProcessObservability;
const events: LeaseEvent[] = [];
const secret = (prefix: string) => `${prefix}-${randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  sim = await startSimulatedProvider({ port: 0 });
  system = await startSystem(env, sim.openaiBaseUrl, [
    `KEY_1=${secret('sim-500-a')}`,
    `KEY_2=${secret('sim-500-b')}`,
    'AI_CIRCUIT_BREAKER_THRESHOLD=1',
    'AI_PROVIDER_COOLDOWN_MS=60000',
    // Fail at once rather than wait out the cooldown.
    'AI_NO_KEY_WAIT_MS=0',
  ]);
  system.container.leaseEvents.on((e) => events.push(e));
  observability = await startProcessObservability(system.container, {
    serviceName: 'test',
    runsWorkers: false,
    env: {},
  });
});

afterAll(async () => {
  await system?.close();
  await sim?.close();
  await env.cleanup();
});

describe('provider breaker metrics', () => {
  it('counts the breaker opening and the leases refused while the provider is paused', async () => {
    await expect(
      system.producer.run({ messages: [{ role: 'user', content: 'hi' }] }, { timeoutMs: 20_000 }),
    ).rejects.toThrow();
    await expect(
      system.producer.run({ messages: [{ role: 'user', content: 'again' }] }, { timeoutMs: 20_000 }),
    ).rejects.toThrow(/paused by its circuit breaker/);
    expect(events).toContainEqual({ kind: 'breaker_opened', provider: 'openai' });
    expect(events).toContainEqual({ kind: 'provider_paused', provider: 'openai' });

    const metrics = await observability.registry.metrics();
    expect(metrics).toContain('aikeys_provider_breaker_trips_total{provider="openai"} 1');
    expect(metrics).toMatch(/^aikeys_provider_paused_leases_total\{provider="openai"\} [1-9]\d*$/m);
  });
});
