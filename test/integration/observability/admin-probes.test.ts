/**
 * The admin server as `npm start` and the admin service run it: `/readyz` answers from the
 * process's readiness (public, even with an admin token), turns 503 once the shutdown step ran,
 * and `/metrics` serves the admin gauges and the process's own metrics in one scrape.
 */
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminApp } from '../../../src/http/app.js';
import { silentLogger } from '../../../src/core/logger.js';
import { createProcessRegistry } from '../../../src/runtime/process-observability.js';
import { postgresCheck, Readiness, redisCheck } from '../../../src/observability/readiness.js';
import { usageStreamKey } from '../../../src/usage/usage-stream.js';
import { isolate } from '../../setup/isolation.js';
import { setUp, type Fixture } from '../http/fixtures.js';

const env = isolate('adminprobes');
const TOKEN = 'admin-token-for-probes-0123456789';
let f: Fixture;
let redis: Redis;
let app: FastifyInstance;
let readiness: Readiness;

beforeAll(async () => {
  f = await setUp(env);
  redis = new Redis(env.redisUrl);
  readiness = new Readiness([redisCheck(redis), postgresCheck(f.db)]);
  const { registry } = createProcessRegistry({
    redis,
    usageStreamKey: usageStreamKey(env.prefix),
    queues: [],
    readiness,
    runsWorkers: false,
  });
  app = await buildAdminApp({
    db: f.db,
    config: f.config,
    queues: [f.queue],
    logger: silentLogger,
    adminToken: TOKEN,
    probes: { readiness, registry },
  });
  await redis.xadd(usageStreamKey(env.prefix), '*', 'r', 'x');
});

afterAll(async () => {
  await app?.close();
  redis?.disconnect();
  await f?.close();
  await env.cleanup();
});

describe('the admin server with the process probes', () => {
  it('serves both registries in one /metrics (behind the admin token)', async () => {
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
    const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('aikeys_keys{status="disabled"} 1'); // the admin registry
    expect(res.body).toContain('aikeys_usage_backlog_records 1'); // the process registry
    expect(res.body).toContain('aikeys_ready{workers="false"} 1');
    expect(res.body).toContain(`aikeys_queue_oldest_waiting_seconds{queue="${env.queueName}"} 0`);
    expect(res.body).toContain('# TYPE aikeys_provider_calls_total counter');
  });

  it('answers /readyz without the token, and 503 from the start of a shutdown', async () => {
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ready: true, checks: { redis: 'ok', postgres: 'ok', shutdown: 'ok' } });

    await readiness.shutdownStep.close();
    const stopping = await app.inject({ url: '/readyz' });
    expect(stopping.statusCode).toBe(503);
    expect(stopping.json()).toMatchObject({ ready: false, checks: { shutdown: 'shutting down' } });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('reports a Redis connection that is not ready at once, by its state', async () => {
    const closed = new Redis(env.redisUrl, { lazyConnect: true });
    const report = await new Readiness([redisCheck(closed)]).report();
    expect(report).toEqual({ ready: false, checks: { redis: 'connection wait', shutdown: 'ok' } });
  });
});
