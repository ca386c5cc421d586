/** The dashboard page, Bull Board on the real queue, and the Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../../src/http/metrics.js';
import { DASHBOARD_SCRIPTS } from '../../../src/http/routes/dashboard.js';
import { writeUsageReject } from '../../../src/store/usage-rejects.js';
import { isolate } from '../../setup/isolation.js';
import { buildApp, setUp, type Fixture } from './fixtures.js';

const env = isolate('httpdash');
let f: Fixture;
let app: FastifyInstance;

beforeAll(async () => {
  f = await setUp(env);
  app = await buildApp(f);
});

afterAll(async () => {
  await app?.close();
  await f?.close();
  await env.cleanup();
});

describe('dashboard', () => {
  it('serves one self-contained HTML page with every section', async () => {
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const heading of [
      'System Health',
      'Usage',
      'Configuration',
      'Keys',
      'Recent failures',
      'Accounts Overview',
      'System Settings',
    ]) {
      expect(res.body).toContain(`<h2>${heading}`);
    }
    expect(res.body).toContain('href="/admin/queues"');
    // The placeholders were filled, and nothing is loaded from elsewhere.
    expect(res.body).not.toContain('{{CSS}}');
    expect(res.body).not.toContain('{{JS}}');
    expect(res.body).toContain("location.assign('/sign-in')");
    expect(res.body).toContain('action="/sign-out"');
    // Every script part made it in, once, in order (routes/dashboard.ts joins them).
    const parts = [...res.body.matchAll(/^\/\/ ([a-z-]+\.js)$/gm)].map((m) => m[1]);
    expect(parts).toEqual([...DASHBOARD_SCRIPTS]);
    for (const route of ['/api/keys?', '/api/usage?bucket=', '/api/failures?limit=', '/api/health']) {
      expect(res.body).toContain(route);
    }
    expect(res.body).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('pins the inline script by hash in its Content-Security-Policy', async () => {
    const { createHash } = await import('node:crypto');
    const res = await app.inject({ url: '/' });
    const script = /<script>([\s\S]*?)<\/script>/.exec(res.body)?.[1] ?? '';
    expect(script.length).toBeGreaterThan(1000);
    const hash = createHash('sha256').update(script, 'utf8').digest('base64');
    expect(res.headers['content-security-policy']).toContain(`script-src 'sha256-${hash}'`);
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  it('keeps nothing where a script could read it: no storage, no cookie, no token, no innerHTML', async () => {
    const res = await app.inject({ url: '/' });
    const script = /<script>([\s\S]*?)<\/script>/.exec(res.body)?.[1] ?? '';
    expect(script).toContain('AK.refreshNow');
    for (const needle of ['sessionStorage', 'localStorage', 'document.cookie', 'authorization']) {
      expect(script, needle).not.toContain(needle);
    }
    // Text reaches the page through textContent only: provider errors are quoted in it.
    expect(script).not.toMatch(/\.(innerHTML|outerHTML|insertAdjacentHTML)\b|document\.write/);
  });
});

describe('Bull Board', () => {
  it('serves its UI at /admin/queues', async () => {
    const res = await app.inject({ url: '/admin/queues' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    // Its assets (relative to <base href="/admin/queues/">) are served too.
    const asset = /src="(static\/js\/[^"]+)"/.exec(res.body)?.[1];
    expect(asset).toBeDefined();
    expect((await app.inject({ url: `/admin/queues/${asset!}` })).statusCode).toBe(200);
  });

  it('lists the queue with its jobs', async () => {
    await f.queue.add('demo', { messages: [{ role: 'user', content: 'hi' }] });
    const res = await app.inject({
      url: '/admin/queues/api/queues?activeQueue=' + encodeURIComponent(env.queueName),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { queues: { name: string; counts: Record<string, number> }[] };
    const queue = body.queues.find((q) => q.name === env.queueName);
    expect(queue).toBeDefined();
    expect(queue!.counts.waiting).toBeGreaterThanOrEqual(1);
  });
});

describe('metrics', () => {
  it('exposes keys by status, account quotas and queue counts', async () => {
    await f.queue.add('delayed-one', { messages: [] }, { delay: 3_600_000 });
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    const { usageRejects, ...gauges } = METRIC_NAMES;
    for (const name of Object.values(gauges)) expect(res.body).toContain(`# TYPE ${name} gauge`);
    expect(res.body).toContain(`# TYPE ${usageRejects} counter`);
    expect(res.body).toContain(`${METRIC_NAMES.keysByStatus}{status="active"} 1`);
    expect(res.body).toContain(`${METRIC_NAMES.keysByStatus}{status="disabled"} 1`);
    expect(res.body).toContain(
      `${METRIC_NAMES.accountRemainingQuota}{account="Primary Account",provider="openai",priority="1"} 198490`,
    );
    expect(res.body).toContain(`${METRIC_NAMES.queueJobs}{queue="${env.queueName}",state="delayed"} 1`);
    expect(res.body).toMatch(
      new RegExp(`${METRIC_NAMES.queueJobs}\\{queue="${env.queueName}",state="waiting"\\} \\d+`),
    );
  });

  it('counts the usage records set aside in ai_usage_rejects', async () => {
    const scrape = async () => (await app.inject({ url: '/metrics' })).body;
    expect(await scrape()).toContain(`${METRIC_NAMES.usageRejects} 0`);
    await writeUsageReject(f.db, { raw: '[1]', error: 'bad', sqlstate: '22P02', streamId: '1-1' });
    await writeUsageReject(f.db, { raw: '{', error: 'bad json', sqlstate: null, streamId: '1-2' });
    expect(await scrape()).toContain(`${METRIC_NAMES.usageRejects} 2`);
    const health = await app.inject({ url: '/api/health' });
    expect(health.json()).toMatchObject({ usage_rejects: 2 });
  });

  it('a second app in the same process has its own registry', async () => {
    const other = await buildApp(f);
    try {
      const res = await other.inject({ url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain(`# TYPE ${METRIC_NAMES.keysByStatus} gauge`);
    } finally {
      await other.close();
    }
  });
});
