/**
 * The simulated provider on its own, over real HTTP with plain fetch: the key grammar, the
 * deterministic behaviours, stats, and that it never logs a key.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { behaviourForKey } from '../../src/simulator/key-behaviour.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../src/simulator/server.js';

async function openAiCall(sim: SimulatedProvider, key: string, content = 'hi') {
  const res = await fetch(`${sim.openaiBaseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }] }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
}

describe('key grammar', () => {
  it.each([
    ['sk-anything', { kind: 'ok' }],
    ['sim-unknown-thing', { kind: 'ok' }],
    ['sim-401-x', { kind: 'auth_failed' }],
    ['sim-402-x', { kind: 'payment_required' }],
    ['sim-quota-x', { kind: 'insufficient_quota' }],
    ['sim-429-30-x', { kind: 'rate_limited', retryAfterSeconds: 30 }],
    ['sim-429-2x3-x', { kind: 'rate_limited', retryAfterSeconds: 2, firstRequests: 3 }],
    ['sim-429-5w-x', { kind: 'rate_limited', retryAfterSeconds: 5, windowSeconds: 5 }],
    ['sim-500-x', { kind: 'server_error' }],
    ['sim-flaky25-x', { kind: 'flaky', percent: 25 }],
    ['sim-slow1500-x', { kind: 'slow', delayMs: 1500 }],
    ['sim-garbage-x', { kind: 'garbage' }],
    ['sim-hollow-x', { kind: 'hollow' }],
  ])('%s -> %j', (key, behaviour) => {
    expect(behaviourForKey(key)).toEqual(behaviour);
  });
});

describe('simulated provider', () => {
  const lines: string[] = [];
  let sim: SimulatedProvider;
  beforeAll(async () => {
    const logger = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
    sim = await startSimulatedProvider({
      logger,
      rules: { 'exact-rule-key-000001': { kind: 'server_error' } },
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('rate-limits a key for its first M requests, then answers', async () => {
    const key = 'sim-429-3x2-first-requests';
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await openAiCall(sim, key));
    expect(statuses.map((s) => s.status)).toEqual([429, 429, 200, 200]);
    expect(statuses[0]!.retryAfter).toBe('3');
    expect(sim.stats.forKey(key)).toEqual({ requests: 4, byStatus: { 429: 2, 200: 2 } });
  });

  it('rate-limits a key during a window from its first request, saying the seconds left', async () => {
    const first = await openAiCall(sim, 'sim-429-60w-window-key');
    expect(first.status).toBe(429);
    expect(Number(first.retryAfter)).toBeGreaterThan(50);
    expect(Number(first.retryAfter)).toBeLessThanOrEqual(60);
  });

  it('answers 401 for a missing key', async () => {
    const res = await fetch(`${sim.openaiBaseUrl}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [] }),
    });
    expect(res.status).toBe(401);
  });

  it('lets a rules map override the key prefix', async () => {
    expect((await openAiCall(sim, 'exact-rule-key-000001')).status).toBe(500);
  });

  it('404s an unknown route and 400s a body that is not JSON', async () => {
    expect((await fetch(`${sim.url}/v1/embeddings`, { method: 'POST', body: '{}' })).status).toBe(404);
    const res = await fetch(`${sim.openaiBaseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-some-key-1234' },
      body: '{nope',
    });
    expect(res.status).toBe(400);
  });

  it('echoes the last user message and reports usage', async () => {
    const reply = JSON.parse((await openAiCall(sim, 'sk-echo-key-123456', 'tell me about otters')).body);
    expect(reply.choices[0].message.content).toBe('echo: tell me about otters');
    expect(reply.usage.prompt_tokens).toBeGreaterThan(3);
    expect(reply.usage.total_tokens).toBe(reply.usage.prompt_tokens + reply.usage.completion_tokens);
  });

  it('never logs a key, even the ones it rejects', async () => {
    const keys = ['sim-401-never-log-me-0001', 'sim-500-never-log-me-0002', 'sk-never-log-me-0003'];
    for (const key of keys) await openAiCall(sim, key);
    const snapshot = JSON.stringify(sim.stats.snapshot());
    expect(lines.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(lines.join('\n')).not.toContain(key);
      expect(snapshot).not.toContain(key);
    }
  });
});

describe('determinism', () => {
  async function flakyRun(seed: number): Promise<number[]> {
    const sim = await startSimulatedProvider({ seed });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await openAiCall(sim, 'sim-flaky50-determinism')).status);
      return statuses;
    } finally {
      await sim.close();
    }
  }

  it('fails a flaky key the same way for the same seed, and sometimes both ways', async () => {
    const a = await flakyRun(7);
    const b = await flakyRun(7);
    expect(a).toEqual(b);
    expect(a).toContain(500);
    expect(a).toContain(200);
  });

  it('applies latency', async () => {
    const sim = await startSimulatedProvider({ latencyMs: 150 });
    try {
      const started = performance.now();
      await openAiCall(sim, 'sk-latency-key-0001');
      // A lower bound is deterministic (the timer cannot fire early); no upper bound is asserted.
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await sim.close();
    }
  });
});
