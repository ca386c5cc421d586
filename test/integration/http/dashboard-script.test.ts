/**
 * Runs the dashboard's inline script against the real API (fetch goes to `app.inject`) on a tiny
 * stand-in DOM, since no browser is installed here (playwright-core is not a dependency). It proves
 * the script renders every section from real responses without throwing, with nothing but the
 * session cookie (it never holds the token), and goes to the sign-in form when the session ends.
 */
import vm from 'node:vm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate } from '../../setup/isolation.js';
import { ADMIN_TOKEN, buildApp, setUp, signIn, type Fixture } from './fixtures.js';

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

const TOKEN = ADMIN_TOKEN;
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

/** Runs the page's script; `cookie` is what the browser would send with each request (null = none). */
async function runDashboard(cookie: string | null) {
  const page = await app.inject({ url: '/', headers: { cookie: await signIn(app, TOKEN) } });
  expect(page.statusCode).toBe(200);
  const script = /<script>([\s\S]*?)<\/script>/.exec(page.body)?.[1] ?? '';
  const nodes = new Map<string, FakeNode>();
  const assigned: string[] = [];
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
      headers: cookie === null ? init.headers : { ...init.headers, cookie },
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
    location: { assign: (url: string) => assigned.push(url) },
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
  return { node: (sel: string) => document.querySelector(sel)!, requests, assigned };
}

describe('dashboard script', () => {
  it('renders every section from the real API with only the session cookie', async () => {
    const { node, requests, assigned } = await runDashboard(await signIn(app, TOKEN));
    expect(requests.map((r) => r.url).sort()).toEqual(
      ['/api/accounts', '/api/health', '/api/keys', '/api/settings', '/api/usage?hours=24'].sort(),
    );
    expect(requests.every((r) => r.authorization === undefined)).toBe(true);
    expect(assigned).toEqual([]);
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

  it('without a session it goes to the sign-in form', async () => {
    const { node, assigned } = await runDashboard(null);
    expect(node('#message').hidden).toBe(false);
    expect(node('#message').textContent).toMatch(/sign in/i);
    expect(assigned).toContain('/sign-in');
  });

  it('keeps nothing where a script could read it: no storage, no cookie, no token', async () => {
    const page = await app.inject({ url: '/', headers: { cookie: await signIn(app, TOKEN) } });
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.body)?.[1] ?? '';
    for (const needle of ['sessionStorage', 'localStorage', 'document.cookie', 'authorization']) {
      expect(script, needle).not.toContain(needle);
    }
  });
});
