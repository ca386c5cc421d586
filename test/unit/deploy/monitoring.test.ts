/**
 * The shipped monitoring files (Prometheus alert rules, the KEDA ScaledObject, the Grafana
 * dashboard) parse, and every aikeys metric their PromQL names exists in the code's registries with
 * the labels the query selects on: a renamed metric or label fails here, not on an operator's
 * dashboard.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { Histogram, type Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { createMetricsRegistry } from '../../../src/http/metrics.js';
import type { AdminAppDeps } from '../../../src/http/types.js';
import { CALL_OUTCOMES } from '../../../src/observability/job-metrics.js';
import { createProcessRegistry } from '../../../src/runtime/process-observability.js';
import { JOB_STATES } from '../../../src/observability/queue-gauges.js';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

// Never connected: registering metrics touches nothing, only a scrape would.
const redis = new Redis({ lazyConnect: true });
afterAll(() => redis.disconnect());

/** Every metric either kind of process serves: name -> label names. */
function knownMetrics(): Map<string, { labels: Set<string>; histogram: boolean }> {
  const registries: Registry[] = [
    createProcessRegistry({
      redis,
      usageStreamKey: 'unused',
      queues: [],
      readiness: { report: async () => ({ ready: true, checks: {} }) },
      runsWorkers: true,
    }).registry,
    // The admin registry's gauges read deps only when scraped.
    createMetricsRegistry({ queues: [] } as unknown as AdminAppDeps),
  ];
  const known = new Map<string, { labels: Set<string>; histogram: boolean }>();
  for (const registry of registries) {
    for (const metric of registry.getMetricsAsArray()) {
      const m = metric as unknown as { name: string; labelNames?: readonly string[] };
      known.set(m.name, { labels: new Set(m.labelNames ?? []), histogram: metric instanceof Histogram });
    }
  }
  return known;
}

/** `aikeys_x{a="1", b=~"2"}` -> name and selected label names and values; bare names too. */
function selectors(expr: string): { name: string; labels: Map<string, string> }[] {
  const found: { name: string; labels: Map<string, string> }[] = [];
  for (const match of expr.matchAll(/\b(aikeys_[a-z0-9_]+)(\{([^}]*)\})?/g)) {
    const labels = new Map<string, string>();
    for (const l of (match[3] ?? '').matchAll(/([a-z_]+)\s*(?:=~|!=|!~|=)\s*"([^"]*)"/g))
      labels.set(l[1]!, l[2]!);
    found.push({ name: match[1]!, labels });
  }
  return found;
}

function checkExpressions(exprs: readonly string[]): string[] {
  const known = knownMetrics();
  const problems: string[] = [];
  for (const expr of exprs) {
    for (const { name, labels } of selectors(expr)) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      const metric = known.get(name) ?? (known.get(base)?.histogram ? known.get(base) : undefined);
      if (!metric) {
        problems.push(`${name} (in ${expr.trim()}) is not a metric of the code`);
        continue;
      }
      for (const label of labels.keys()) {
        if (!metric.labels.has(label) && !(label === 'le' && name.endsWith('_bucket')))
          problems.push(`${name} has no label "${label}"`);
      }
      const outcome = labels.get('outcome');
      if (outcome && !outcome.split('|').every((o) => (CALL_OUTCOMES as readonly string[]).includes(o)))
        problems.push(`${name}: outcome "${outcome}" is not one the code records`);
      const state = labels.get('state');
      if (
        state &&
        name === 'aikeys_queue_jobs' &&
        !state.split('|').every((s) => (JOB_STATES as readonly string[]).includes(s))
      )
        problems.push(`${name}: state "${state}" is not one the code reports`);
    }
  }
  return problems;
}

interface Probe {
  httpGet: { path: string };
}
/** The fields of the two manifests the assertions read (a missing one fails them). */
interface Manifest {
  kind: string;
  spec: {
    triggers: { type: string; metadata: { query: string; threshold: string } }[];
    template: {
      spec: {
        containers: { env: { name: string; value: string }[]; readinessProbe: Probe; livenessProbe: Probe }[];
      };
    };
  };
}

interface AlertFile {
  groups: { name: string; rules: { alert: string; expr: string }[] }[];
}

describe('deploy/prometheus/aikeys-alerts.yml', () => {
  const rules = (parse(read('deploy/prometheus/aikeys-alerts.yml')) as AlertFile).groups.flatMap(
    (g) => g.rules,
  );

  it('alerts on a key disabled, a provider paused, rising 429s, a growing usage backlog and no worker ready', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'AikeysKeyDisabled',
        'AikeysProviderPaused',
        'AikeysRateLimitedRising',
        'AikeysUsageBacklogGrowing',
        'AikeysNoWorkerReady',
      ]),
    );
  });

  it('uses only metrics and labels the code exports', () => {
    expect(rules.length).toBeGreaterThan(0);
    expect(checkExpressions(rules.map((r) => r.expr))).toEqual([]);
  });
});

describe('deploy/k8s/keda-scaledobject.yaml', () => {
  const docs = parseAllDocuments(read('deploy/k8s/keda-scaledobject.yaml')).map((d) => d.toJS() as Manifest);
  const scaled = docs.find((d) => d.kind === 'ScaledObject')!;

  it('scales on queue depth and oldest-job age from Prometheus, with metrics the code exports', () => {
    const triggers = scaled.spec.triggers as {
      type: string;
      metadata: { query: string; threshold: string };
    }[];
    expect(triggers.map((t) => t.type)).toEqual(['prometheus', 'prometheus']);
    const queries = triggers.map((t) => t.metadata.query);
    expect(queries.join(' ')).toContain('aikeys_queue_jobs');
    expect(queries.join(' ')).toContain('aikeys_queue_oldest_waiting_seconds');
    for (const t of triggers) expect(Number(t.metadata.threshold)).toBeGreaterThan(0);
    expect(checkExpressions(queries)).toEqual([]);
  });

  it('probes the worker on the routes it serves', () => {
    const deployment = docs.find((d) => d.kind === 'Deployment')!;
    const container = deployment.spec.template.spec.containers[0]!;
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.env).toContainEqual({ name: 'HOST', value: '0.0.0.0' });
  });
});

describe('deploy/grafana/aikeys.json', () => {
  const dashboard = JSON.parse(read('deploy/grafana/aikeys.json')) as {
    panels: { title: string; targets: { expr: string }[] }[];
    templating: { list: { query: string | { query: string } }[] };
  };

  it('has panels with PromQL on metrics and labels the code exports', () => {
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    const variables = dashboard.templating.list.map((v) =>
      typeof v.query === 'string' ? v.query : v.query.query,
    );
    expect(checkExpressions([...exprs, ...variables])).toEqual([]);
  });

  it('the check itself catches a metric that does not exist', () => {
    expect(checkExpressions(['rate(aikeys_no_such_metric_total[5m])'])).toHaveLength(1);
    expect(checkExpressions(['aikeys_provider_calls_total{outcome="teapot"}'])).toHaveLength(1);
    expect(checkExpressions(['aikeys_queue_jobs{colour="red"}'])).toHaveLength(1);
  });
});
