/**
 * The OpenAPI document at /api/docs/json documents every /api route the server registers (read
 * from fastify's own route table, so a route added without a schema fails here), with its inputs
 * and its answer; the UI and the document sit behind the admin token like the rest of /api.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate } from '../../setup/isolation.js';
import { ADMIN_TOKEN, buildApp, RecordingActions, setUp, type Fixture } from './fixtures.js';

const env = isolate('openapi');
let f: Fixture;
let app: FastifyInstance;
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

beforeAll(async () => {
  f = await setUp(env);
  app = await buildApp(f, { adminToken: ADMIN_TOKEN, actions: new RecordingActions(f.db) });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await f?.close();
  await env.cleanup();
});

/** `METHOD /path` of every route, from fastify's printed route tree. */
export function routesOf(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ]*)[├└]── (\S+) \(([^)]+)\)/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const path = stack.join('').replace(/\/+/g, '/');
    for (const method of match[3]!.split(', ')) if (method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  return routes;
}

interface Operation {
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
}

async function documentOf(): Promise<{ paths: Record<string, Record<string, Operation>> }> {
  const res = await app.inject({ method: 'GET', url: '/api/docs/json', headers: auth });
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe('/api/docs/json', () => {
  it('reads the route table (the parser itself works)', () => {
    const routes = routesOf(app.printRoutes({ commonPrefix: false }));
    expect(routes).toContain('GET /api/keys/:name');
    expect(routes).toContain('POST /api/keys/:name/block');
    expect(routes.length).toBeGreaterThan(20);
  });

  it('documents every /api route, each with its answer', async () => {
    const doc = await documentOf();
    const apiRoutes = routesOf(app.printRoutes({ commonPrefix: false })).filter(
      (r) => / \/api\//.test(r) && !r.includes('/api/docs'),
    );
    expect(apiRoutes.length).toBeGreaterThanOrEqual(15);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.sort()).toEqual(apiRoutes.sort());
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const ok = op.responses['200']?.content?.['application/json']?.schema;
        expect(ok, `${method} ${path}: 200 answer`).toBeDefined();
        expect(op.responses['4XX'] ?? op.responses['4xx'], `${method} ${path}: error answer`).toBeDefined();
        for (const param of path.match(/\{\w+\}/g) ?? []) {
          expect(
            op.parameters?.map((p) => `{${p.name}}`),
            `${method} ${path}`,
          ).toContain(param);
        }
      }
    }
  });

  it('documents the inputs: query parameters with their limits, and bodies', async () => {
    const doc = await documentOf();
    const keys = doc.paths['/api/keys']!.get!;
    const perPage = keys.parameters!.find((p) => p.name === 'per_page') as unknown as {
      schema: { maximum: number; default: number };
    };
    expect(perPage.schema).toMatchObject({ maximum: 500, default: 50 });
    const usage = doc.paths['/api/usage']!.get!.parameters!.map((p) => p.name);
    expect(usage).toEqual(
      expect.arrayContaining(['bucket', 'from', 'to', 'group_by', 'key', 'model', 'account_id', 'client']),
    );
    expect(doc.paths['/api/keys/{name}/block']!.post!.requestBody).toBeDefined();
  });

  it('passes the health config block through whole', async () => {
    const doc = await documentOf();
    const schema = doc.paths['/api/health']!.get!.responses['200']!.content!['application/json']!.schema as {
      properties: Record<string, unknown>;
    };
    // OpenAPI 3.0 spells `type: ['object', 'null']` as nullable.
    expect(schema.properties.config).toEqual({ type: 'object', nullable: true, additionalProperties: true });
  });
});

describe('/api/docs', () => {
  it('needs the admin token, for the page, its assets and the document', async () => {
    for (const url of ['/api/docs', '/api/docs/json', '/api/docs/static/swagger-ui-bundle.js']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHORIZED');
    }
  });

  it('serves the UI with scripts from this server only, under the default CSP', async () => {
    const page = await app.inject({ method: 'GET', url: '/api/docs', headers: auth });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).not.toMatch(/<script>(?!\s*<\/script>)/);
    const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src.startsWith('/api/docs/')).toBe(true);
      const res = await app.inject({ method: 'GET', url: src, headers: auth });
      expect(res.statusCode, src).toBe(200);
    }
  });
});
