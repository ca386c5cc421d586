/**
 * Runs the dashboard's inline script against the real API (fetch goes to `app.inject`) on a tiny
 * stand-in DOM, since no browser is installed here (playwright-core is not a dependency). It proves
 * the script renders every section from real responses without throwing, and sends the token.
 */
import vm from 'node:vm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate } from '../../setup/isolation.js';
import { buildApp, setUp, type Fixture } from './fixtures.js';

class FakeNode {
  children: FakeNode[] = [];
  attributes: Record<string, string> = {};
  listeners: Record<string, ((e: unknown) => unknown)[]> = {};
  textContent = '';
  className = '';
  hidden = false;
  value = '';
  colSpan = 1;
  type = '';
  style: Record<string, string> = {};
  classList = { contains: (c: string) => this.className.split(' ').includes(c) };
  constructor(readonly tag: string) {}
  appendChild(child: FakeNode) {
    this.children.push(child);
    return child;
  }
  replaceChildren(...children: FakeNode[]) {
    this.children = children;
  }
  setAttribute(name: string, value: string) {
    this.attributes[name] = value;
  }
  addEventListener(type: string, fn: (e: unknown) => unknown) {
    (this.listeners[type] ??= []).push(fn);
  }
  get lastChild() {
    return this.children.at(-1);
  }
  /** All text below this node, as a browser's textContent would read it. */
  text(): string {
    return this.textContent + this.children.map((c) => c.text()).join(' ');
  }
  count(tag: string): number {
    return (this.tag === tag ? 1 : 0) + this.children.reduce((n, c) => n + c.count(tag), 0);
  }
}

const TOKEN = 'dash-token-123';
const env = isolate('httpscript');
let f: Fixture;
let app: FastifyInstance;

beforeAll(async () => {
  f = await setUp(env);
  app = await buildApp(f, { adminToken: TOKEN });
});

afterAll(async () => {
  await app?.close();
  await f?.close();
  await env.cleanup();
});

async function runDashboard(storedToken: string | null) {
  const page = await app.inject({ url: '/' });
  const script = /<script>([\s\S]*?)<\/script>/.exec(page.body)?.[1] ?? '';
  const nodes = new Map<string, FakeNode>();
  const storage = new Map<string, string>(storedToken === null ? [] : [['aikeys.adminToken', storedToken]]);
  const requests: { url: string; authorization: string | undefined }[] = [];
  let pending: Promise<unknown>[] = [];
  const document = {
    cookie: '',
    querySelector: (sel: string) => {
      if (!nodes.has(sel)) nodes.set(sel, new FakeNode(sel));
      return nodes.get(sel);
    },
    createElement: (tag: string) => new FakeNode(tag),
    createElementNS: (_ns: string, tag: string) => new FakeNode(tag),
  };
  const fetch = async (
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ) => {
    requests.push({ url, authorization: init.headers.authorization });
    const res = await app.inject({
      method: init.method as 'GET',
      url,
      headers: init.headers,
      payload: init.body,
    });
    return {
      ok: res.statusCode < 400,
      status: res.statusCode,
      statusText: res.statusMessage,
      json: async () => res.json(),
    };
  };
  const context = vm.createContext({
    document,
    fetch: (...args: Parameters<typeof fetch>) => {
      const p = fetch(...args);
      pending.push(p);
      return p;
    },
    sessionStorage: {
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => storage.set(k, v),
      removeItem: (k: string) => storage.delete(k),
    },
    Node: FakeNode,
    setInterval: () => 0,
    prompt: () => null,
    confirm: () => false,
    console,
  });
  vm.runInContext(script, context);
  // Let the first refresh finish: wait for every request and the renders chained on them.
  while (pending.length) {
    const batch = pending;
    pending = [];
    await Promise.allSettled(batch);
    await new Promise((r) => setImmediate(r));
  }
  return { node: (sel: string) => document.querySelector(sel)!, requests };
}

describe('dashboard script', () => {
  it('renders every section from the real API, sending the stored token', async () => {
    const { node, requests } = await runDashboard(TOKEN);
    expect(requests.map((r) => r.url).sort()).toEqual(
      ['/api/accounts', '/api/health', '/api/keys', '/api/settings', '/api/usage?hours=24'].sort(),
    );
    expect(requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(node('#message').textContent).toBe('');
    expect(node('#health-cards').text()).toContain('healthy');
    expect(node('#accounts-table tbody').text()).toContain('Secondary Account (Fallback)');
    const keys = node('#keys-table tbody').text();
    for (const k of ['key_1', 'key_2', 'key_3', 'key_4', '3 consecutive failures', 'Enable', 'Unblock']) {
      expect(keys).toContain(k);
    }
    expect(node('#usage-chart').count('rect')).toBeGreaterThanOrEqual(24);
    expect(node('#settings-system tbody').text()).toContain('AI_ENCRYPTION_KEY');
    // Each setting's row carries its declared description, and says when a change needs a restart.
    const ttlRow = node('#settings-system tbody').children.find((tr) =>
      tr.text().includes('AI_LEASE_TTL_MS'),
    );
    expect((ttlRow as { title?: string } | undefined)?.title).toMatch(/frees its key.*after a restart/);
  });

  it('without a token it asks for one', async () => {
    const { node } = await runDashboard(null);
    expect(node('#message').hidden).toBe(false);
    expect(node('#message').textContent).toMatch(/admin token/i);
  });
});
