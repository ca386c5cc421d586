/**
 * Per-call sums reach prom-client at each collection, exactly once: a scrape reads what was
 * counted up to it, a second scrape adds nothing, and calls in flight go back to zero.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { seriesKey } from '../../../src/observability/call-counters.js';
import { registerJobMetrics } from '../../../src/observability/job-metrics.js';

const labels = { provider: 'openai', model: 'gpt-4o-mini', account: 'primary', key: 'key_1' };
const series = seriesKey(labels);

async function values(registry: Registry, name: string) {
  return (await registry.getSingleMetric(name)!.get()).values.map((v) => ({
    labels: v.labels,
    value: v.value,
  }));
}

describe('call counters', () => {
  it('hands each scrape what was counted up to it, once', async () => {
    const registry = new Registry();
    const metrics = registerJobMetrics(registry);
    metrics.calls.started(series, labels);
    metrics.calls.started(series, labels);
    expect(await values(registry, 'aikeys_key_in_flight_calls')).toEqual([
      { labels: { provider: 'openai', account: 'primary', key: 'key_1' }, value: 2 },
    ]);
    const ok = { client: 'queue', outcome: 'success', prompt: 10, completion: 4, cost: 0.5 };
    metrics.calls.ended(series, labels, ok);
    metrics.calls.ended(series, labels, { ...ok, outcome: 'rate_limited' });

    const text = await registry.metrics();
    expect(text).toContain(
      'aikeys_provider_calls_total{provider="openai",model="gpt-4o-mini",account="primary",key="key_1",client="queue",outcome="success"} 1',
    );
    expect(text).toContain('outcome="rate_limited"} 1');
    expect(text).toContain('client="queue",kind="prompt"} 10');
    expect(text).toContain('client="queue",kind="completion"} 4');
    expect(text).toContain(
      'aikeys_cost_usd_total{provider="openai",model="gpt-4o-mini",account="primary",key="key_1",client="queue"} 0.5',
    );
    expect(text).toContain('aikeys_key_in_flight_calls{provider="openai",account="primary",key="key_1"} 0');
    // The failed call made no token series of its own.
    expect((await values(registry, 'aikeys_tokens_total')).length).toBe(2);

    // Scraped again with nothing new: the same figures, not doubled.
    expect(await registry.metrics()).toBe(text);
    metrics.calls.ended(series, labels, { ...ok, client: 'app-a' });
    const calls = await values(registry, 'aikeys_provider_calls_total');
    expect(calls.map((c) => [c.labels.client, c.labels.outcome, c.value])).toEqual([
      ['queue', 'success', 1],
      ['queue', 'rate_limited', 1],
      ['app-a', 'success', 1],
    ]);
  });
});
