/**
 * Auth (a token, when set, guards everything but the liveness probe and the sign-in form; the
 * browser's session cookie is covered in admin-session.security.test.ts) and leaks (no secret, envelope, master key, admin token or service password in any answer).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate } from '../../setup/isolation.js';
import {
  ADMIN_TOKEN,
  API_SECRETS,
  buildApp,
  DB_PASSWORD,
  RecordingActions,
  REDIS_PASSWORD,
  SECRET_FRAGMENT,
  setUp,
  type Fixture,
} from './fixtures.js';

const TOKEN = ADMIN_TOKEN;
const env = isolate('httpsec');
let f: Fixture;
let app: FastifyInstance;
let actions: RecordingActions;

const GUARDED_GETS = [
  '/api/health',
  '/api/accounts',
  '/api/keys',
  '/api/keys?include_removed=true',
  '/api/settings',
  '/api/usage?hours=72',
  '/api/usage?bucket=day&group_by=key',
  '/api/keys/key_1',
  '/api/accounts/1',
  '/api/failures',
  '/api/admin-actions',
  '/api/docs',
  '/api/docs/json',
  '/metrics',
  '/admin/queues',
  '/admin/queues/api/queues',
];
const GUARDED_POSTS = ['/api/keys/key_1/block', '/api/keys/key_1/disable', '/api/reset-daily', '/api/import'];

beforeAll(async () => {
  f = await setUp(env);
  actions = new RecordingActions(f.db);
  app = await buildApp(f, { adminToken: TOKEN, actions });
});

afterAll(async () => {
  await app?.close();
  await f?.close();
  await env.cleanup();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('auth with a token set', () => {
  it('/healthz and the sign-in form are open; the dashboard sends a browser there', async () => {
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    const form = await app.inject({ url: '/sign-in' });
    expect(form.statusCode).toBe(200);
    expect(form.headers['content-type']).toMatch(/text\/html/);
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/sign-in');
  });

  it('every other route is 401 in the JSON error shape without the token', async () => {
    for (const url of GUARDED_GETS) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(401);
      expect(res.json(), url).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    }
    for (const url of GUARDED_POSTS) {
      const res = await app.inject({ method: 'POST', url, payload: {} });
      expect(res.statusCode, url).toBe(401);
    }
    expect(actions.calls).toEqual([]);
    // An unknown route does not reveal that it is unknown.
    expect((await app.inject({ url: '/api/secret-thing' })).statusCode).toBe(401);
  });

  it('a wrong token, a wrong scheme or a prefix of the token is 401', async () => {
    for (const authorization of [
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      'Bearer ',
      `Basic ${TOKEN}`,
      TOKEN,
    ]) {
      const res = await app.inject({ url: '/api/keys', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.body).not.toContain(TOKEN);
    }
  });

  it('the right token opens every route', async () => {
    for (const url of GUARDED_GETS) {
      const res = await app.inject({ url, headers: bearer(TOKEN) });
      expect(res.statusCode, url).toBe(200);
    }
    const res = await app.inject({
      method: 'POST',
      url: '/api/keys/key_1/block',
      payload: {},
      headers: bearer(TOKEN),
    });
    expect(res.statusCode).toBe(200);
    expect(actions.calls).toEqual([{ action: 'block', name: 'key_1', options: {} }]);
  });

  it('a cookie holding the raw token opens nothing, Bull Board included', async () => {
    for (const name of ['aikeys_admin_token', 'aikeys_session']) {
      const cookie = `other=1; ${name}=${encodeURIComponent(TOKEN)}`;
      for (const url of ['/admin/queues', '/admin/queues/api/queues', '/api/keys']) {
        expect((await app.inject({ url, headers: { cookie } })).statusCode, `${name} ${url}`).toBe(401);
      }
    }
  });

  it('the API does not take the token from a cookie', async () => {
    const cookie = `other=1; aikeys_admin_token=${encodeURIComponent(TOKEN)}`;
    expect((await app.inject({ url: '/api/keys', headers: { cookie } })).statusCode).toBe(401);
  });

  it('settings say auth is configured without showing the token', async () => {
    const res = await app.inject({ url: '/api/settings', headers: bearer(TOKEN) });
    const services = (res.json() as { services: { name: string; value: unknown }[] }).services;
    expect(services.find((e) => e.name === 'AIKEYS_ADMIN_TOKEN')?.value).toBe('configured');
    expect(res.body).not.toContain(TOKEN);
  });
});

describe('no secret in any answer', () => {
  function forbidden(): string[] {
    return [
      ...API_SECRETS,
      SECRET_FRAGMENT,
      ...f.envelopes,
      'aikeys:v1',
      'api_key_encrypted',
      'api_key_hash',
      f.masterKey.reveal(),
      TOKEN,
      DB_PASSWORD,
      REDIS_PASSWORD,
      'provPass',
      'qsSECRET',
    ];
  }

  it('no GET route returns a secret, an envelope, the master key or a password', async () => {
    for (const url of [...GUARDED_GETS, '/', '/healthz', '/api/keys?status=disabled']) {
      const res = await app.inject({ url, headers: bearer(TOKEN) });
      expect(res.statusCode, url).toBe(200);
      for (const needle of forbidden())
        expect(res.body, `${url} leaks ${needle.slice(0, 12)}`).not.toContain(needle);
    }
  });

  it('action answers and error answers carry no secret either', async () => {
    const answers = await Promise.all([
      app.inject({
        method: 'POST',
        url: '/api/keys/key_2/disable',
        payload: { reason: 'x' },
        headers: bearer(TOKEN),
      }),
      app.inject({ method: 'POST', url: '/api/keys/key_2/enable', payload: {}, headers: bearer(TOKEN) }),
      app.inject({ method: 'POST', url: '/api/keys/key_77/enable', payload: {}, headers: bearer(TOKEN) }),
      app.inject({
        method: 'POST',
        url: '/api/keys/key_1/block',
        payload: { seconds: 0 },
        headers: bearer(TOKEN),
      }),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 400, 404]);
    for (const res of answers) {
      for (const needle of forbidden()) expect(res.body).not.toContain(needle);
    }
  });

  it('the secret fixture is really in Postgres (so the checks above can fail)', async () => {
    const stored = await f.db('ai_api_keys').pluck<string[]>('api_key_encrypted');
    expect(stored).toEqual(expect.arrayContaining([...f.envelopes]));
    expect(stored[0]).toMatch(/^aikeys:v2:/);
  });
});
