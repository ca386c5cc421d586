/**
 * The per-call counters (calls, tokens, cost, calls in flight), summed in this process and handed
 * to prom-client when it collects (a scrape, or `registry.metrics()`).
 *
 * prom-client validates and hashes every label of every increment: with six labels per series and
 * seven counter updates per call, that was the largest single cost the observer added to a job.
 * Here a call's series is found by one string the observer builds once per lease (`seriesKey`), and
 * prom-client sees each series once per collection instead of once per call. What a scrape reads is
 * exactly what was counted up to that moment: every collection of any of these metrics first moves
 * all pending sums in.
 */
import type { Counter, Gauge } from 'prom-client';

type KeyLabel = 'provider' | 'model' | 'account' | 'key';
/** The labels that name a key's series: bounded by the configuration, never a secret. */
export type KeyLabels = Readonly<Record<KeyLabel, string>>;

export interface CallCounterMetrics {
  readonly providerCalls: Counter<KeyLabel | 'client' | 'outcome'>;
  readonly tokens: Counter<KeyLabel | 'client' | 'kind'>;
  readonly costUsd: Counter<KeyLabel | 'client'>;
  readonly inFlight: Gauge<'provider' | 'account' | 'key'>;
}

interface CallSums {
  readonly labels: KeyLabels;
  readonly client: string;
  readonly outcome: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

interface InFlight {
  readonly labels: { provider: string; account: string; key: string };
  count: number;
}

/** One string per key series; the observer builds it once per lease. */
export function seriesKey(labels: KeyLabels): string {
  return `${labels.provider}\u0000${labels.model}\u0000${labels.account}\u0000${labels.key}`;
}

export class CallCounters {
  readonly #metrics: CallCounterMetrics;
  readonly #sums = new Map<string, CallSums>();
  readonly #inFlight = new Map<string, InFlight>();

  constructor(metrics: CallCounterMetrics) {
    this.#metrics = metrics;
  }

  /** A call started on a key. */
  started(series: string, labels: KeyLabels): void {
    const entry = this.#inFlight.get(series);
    if (entry) entry.count += 1;
    else
      this.#inFlight.set(series, {
        labels: { provider: labels.provider, account: labels.account, key: labels.key },
        count: 1,
      });
  }

  /** A call ended: one call of `outcome`, and for a success (outcome `success`) its tokens and cost. */
  ended(
    series: string,
    labels: KeyLabels,
    call: { client: string; outcome: string; prompt: number; completion: number; cost: number },
  ): void {
    const flying = this.#inFlight.get(series);
    if (flying && flying.count > 0) flying.count -= 1;
    const key = `${series}\u0000${call.client}\u0000${call.outcome}`;
    let sums = this.#sums.get(key);
    if (sums === undefined) {
      sums = {
        labels,
        client: call.client,
        outcome: call.outcome,
        calls: 0,
        promptTokens: 0,
        completionTokens: 0,
        costUsd: 0,
      };
      this.#sums.set(key, sums);
    }
    sums.calls += 1;
    if (call.outcome === 'success') {
      sums.promptTokens += call.prompt;
      sums.completionTokens += call.completion;
      sums.costUsd += call.cost;
    }
  }

  /** Moves every pending sum into prom-client; called by each of the metrics' `collect`. */
  flush(): void {
    const { providerCalls, tokens, costUsd, inFlight } = this.#metrics;
    for (const s of this.#sums.values()) {
      if (s.calls === 0) continue;
      const withClient = { ...s.labels, client: s.client };
      providerCalls.inc({ ...withClient, outcome: s.outcome }, s.calls);
      // Only successes have token and cost series: a failed call adds a call and nothing else.
      if (s.outcome === 'success') {
        tokens.inc({ ...withClient, kind: 'prompt' }, s.promptTokens);
        tokens.inc({ ...withClient, kind: 'completion' }, s.completionTokens);
        costUsd.inc(withClient, s.costUsd);
      }
      s.calls = 0;
      s.promptTokens = 0;
      s.completionTokens = 0;
      s.costUsd = 0;
    }
    for (const f of this.#inFlight.values()) inFlight.set(f.labels, f.count);
  }
}
