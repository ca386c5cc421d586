/**
 * The browser's way in and what guards it: the sign-in form and its signed, HttpOnly, expiring
 * session cookie; the cross-site check on state-changing requests (Bull Board's included); the
 * per-address limit on failed authentications; security headers on every kind of answer; and
 * Bull Board's read-only default.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_TTL_MS } from '../../../src/http/session.js';
import { isolate } from '../../setup/isolation.js';
import { ADMIN_TOKEN, buildApp, RecordingActions, setUp, signIn, type Fixture } from './fixtures.js';

const TOKEN = ADMIN_TOKEN;
const env = isolate('httpsession');
let f: Fixture;
let app: FastifyInstance;
let writableBoard: FastifyInstance;
let actions: RecordingActions;

beforeAll(async () => {
  f = await setUp(env);
  actions = new RecordingActions(f.db);
  app = await buildApp(f, { adminToken: TOKEN, actions });
  writableBoard = await buildApp(f, {
    adminToken: TOKEN,
    actions,
    config: { ...f.config, services: { ...f.config.services, boardWrite: true } },
  });
});

afterAll(async () => {
  await app?.close();
  await writableBoard?.close();
  await f?.close();
  await env.cleanup();
});

const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };
const form = (token: string) => ({
  method: 'POST' as const,
  url: '/sign-in',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...SAME_ORIGIN },
  payload: new URLSearchParams({ token }).toString(),
});

describe('sign-in form and session cookie', () => {
  it('a right token gets a signed, HttpOnly, SameSite=Strict, expiring cookie that is not the token', async () => {
    const res = await app.inject(form(TOKEN));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^aikeys_session=/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain(`Max-Age=${SESSION_TTL_MS / 1000}`);
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure');
    expect(setCookie).not.toContain(TOKEN);
    expect(setCookie).not.toContain(encodeURIComponent(TOKEN));
    const cookie = setCookie.split(';')[0]!;
    for (const url of ['/', '/api/keys', '/admin/queues', '/admin/queues/api/queues']) {
      expect((await app.inject({ url, headers: { cookie } })).statusCode, url).toBe(200);
    }
  });

  it('a wrong token gets the form again with 401 and no cookie', async () => {
    const res = await app.inject({ ...form('not-the-token'), remoteAddress: '10.9.0.1' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('not the admin token');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('is Secure over HTTPS through a trusted (loopback) proxy, not when anyone else claims HTTPS', async () => {
    const viaProxy = await app.inject({
      ...form(TOKEN),
      headers: { ...form(TOKEN).headers, 'x-forwarded-proto': 'https' },
    });
    expect(String(viaProxy.headers['set-cookie'])).toContain('Secure');
    const direct = await app.inject({
      ...form(TOKEN),
      remoteAddress: '203.0.113.7',
      headers: { ...form(TOKEN).headers, 'x-forwarded-proto': 'https' },
    });
    expect(direct.statusCode).toBe(303);
    expect(String(direct.headers['set-cookie'])).not.toContain('Secure');
  });

  it('believes X-Forwarded-Proto from the proxies AIKEYS_TRUST_PROXY lists', async () => {
    const behindProxy = await buildApp(f, {
      adminToken: TOKEN,
      config: { ...f.config, services: { ...f.config.services, trustProxy: ['203.0.113.0/24'] } },
    });
    const res = await behindProxy.inject({
      ...form(TOKEN),
      remoteAddress: '203.0.113.7',
      headers: { ...form(TOKEN).headers, 'x-forwarded-proto': 'https' },
    });
    expect(String(res.headers['set-cookie'])).toContain('Secure');
    await behindProxy.close();
  });

  it('a tampered, expired or foreign-signed session is refused and cleared', async () => {
    const cookie = await signIn(app, TOKEN);
    const value = decodeURIComponent(cookie.slice('aikeys_session='.length));
    const [, expiry] = /^v1\.(\d+)\./.exec(value)!;
    const tampered = `aikeys_session=${encodeURIComponent(value.replace(`v1.${expiry}`, `v1.${Number(expiry) + 1e9}`))}`;
    const expired = `aikeys_session=${encodeURIComponent(app.signCookie(`v1.${Date.now() - 1000}`))}`;
    const foreign = `aikeys_session=${encodeURIComponent(writableBoard.signCookie('v1.9999999999999'))}`;
    expect((await app.inject({ url: '/api/keys', headers: { cookie } })).statusCode).toBe(200);
    for (const bad of [tampered, expired]) {
      const res = await app.inject({ url: '/api/keys', headers: { cookie: bad } });
      expect(res.statusCode, bad).toBe(401);
      expect(res.json().error.message).toMatch(/sign in again/);
      expect(String(res.headers['set-cookie'])).toMatch(/aikeys_session=;.*Expires=Thu, 01 Jan 1970/);
    }
    // Same token, same secret: the other app accepts this one, which shows the secret comes from the token.
    expect((await app.inject({ url: '/api/keys', headers: { cookie: foreign } })).statusCode).toBe(200);
    const other = await buildApp(f, { adminToken: `${TOKEN}-changed` });
    expect((await other.inject({ url: '/api/keys', headers: { cookie } })).statusCode).toBe(401);
    await other.close();
  });

  it('sign-out clears the cookie and goes back to the form', async () => {
    const cookie = await signIn(app, TOKEN);
    const res = await app.inject({ method: 'POST', url: '/sign-out', headers: { cookie, ...SAME_ORIGIN } });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/sign-in');
    expect(String(res.headers['set-cookie'])).toMatch(/aikeys_session=;.*Expires=Thu, 01 Jan 1970/);
  });

  it('scripts keep using Authorization: Bearer', async () => {
    const res = await app.inject({ url: '/api/keys', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
  });
});

describe('cross-site requests', () => {
  const block = (headers: Record<string, string | undefined>) =>
    app.inject({ method: 'POST', url: '/api/keys/key_1/block', payload: {}, headers });

  it('a cookie-authenticated POST from another site, or of unknown origin, is refused before it acts', async () => {
    const cookie = await signIn(app, TOKEN);
    const before = actions.calls.length;
    for (const headers of [
      { cookie, origin: 'https://evil.example' },
      { cookie, 'sec-fetch-site': 'cross-site' },
      { cookie, 'sec-fetch-site': 'same-site' },
      { cookie },
    ]) {
      const res = await block(headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.json().error.code).toBe('CROSS_SITE_REQUEST');
    }
    expect(actions.calls.length).toBe(before);
    expect((await block({ cookie, ...SAME_ORIGIN })).statusCode).toBe(200);
    expect((await block({ cookie, origin: 'http://localhost:80' })).statusCode).toBe(200);
  });

  it("Bull Board's PUT actions get the same check", async () => {
    const cookie = await signIn(app, TOKEN);
    const url = `/admin/queues/api/queues/${encodeURIComponent(f.queue.name)}/pause`;
    const crossSite = await writableBoard.inject({
      method: 'PUT',
      url,
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(crossSite.statusCode).toBe(403);
    expect(await f.queue.isPaused()).toBe(false);
  });

  it('the sign-in form itself refuses a cross-site post', async () => {
    const res = await app.inject({
      ...form(TOKEN),
      headers: { ...form(TOKEN).headers, 'sec-fetch-site': 'cross-site' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});

describe('failed authentications are rate limited per address', () => {
  it('the 11th wrong bearer token in a minute is 429 with Retry-After, and then even the right one', async () => {
    const remoteAddress = '10.1.0.1';
    const attempt = (token: string) =>
      app.inject({ url: '/api/keys', remoteAddress, headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 10; i++) expect((await attempt(`wrong-${i}`)).statusCode).toBe(401);
    const limited = await attempt('wrong-again');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.json().error.code).toBe('TOO_MANY_FAILED_ATTEMPTS');
    expect((await attempt(TOKEN)).statusCode).toBe(429);
    // Another address is not affected.
    const other = await app.inject({
      url: '/api/keys',
      remoteAddress: '10.1.0.2',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(other.statusCode).toBe(200);
  });

  it('wrong tokens in the sign-in form count the same way', async () => {
    const remoteAddress = '10.2.0.1';
    for (let i = 0; i < 10; i++) {
      expect((await app.inject({ ...form(`wrong-${i}`), remoteAddress })).statusCode).toBe(401);
    }
    const limited = await app.inject({ ...form(TOKEN), remoteAddress });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['set-cookie']).toBeUndefined();
  });

  it('successful requests are never counted or slowed', async () => {
    const remoteAddress = '10.3.0.1';
    const cookie = await signIn(app, TOKEN, remoteAddress);
    for (let i = 0; i < 30; i++) {
      const viaBearer = await app.inject({
        url: '/api/health',
        remoteAddress,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(viaBearer.statusCode).toBe(200);
      expect((await app.inject({ url: '/api/health', remoteAddress, headers: { cookie } })).statusCode).toBe(
        200,
      );
    }
    // Nor are requests without any credential (a page before sign-in): they are not guesses.
    for (let i = 0; i < 15; i++)
      expect((await app.inject({ url: '/api/keys', remoteAddress })).statusCode).toBe(401);
  });
});

describe('security headers', () => {
  it('every kind of answer carries CSP, frame denial, nosniff and a referrer policy', async () => {
    const cookie = await signIn(app, TOKEN);
    const answers = {
      api: await app.inject({ url: '/api/keys', headers: { cookie } }),
      unauthorized: await app.inject({ url: '/api/keys' }),
      notFound: await app.inject({ url: '/api/nothing-here', headers: { cookie } }),
      validation: await app.inject({ url: '/api/usage?hours=abc', headers: { cookie } }),
      board: await app.inject({ url: '/admin/queues', headers: { cookie } }),
      boardApi: await app.inject({ url: '/admin/queues/api/queues', headers: { cookie } }),
      dashboard: await app.inject({ url: '/', headers: { cookie } }),
      signIn: await app.inject({ url: '/sign-in' }),
      healthz: await app.inject({ url: '/healthz' }),
    };
    for (const [what, res] of Object.entries(answers)) {
      expect(res.headers['content-security-policy'], what).toContain("frame-ancestors 'none'");
      expect(res.headers['x-frame-options'], what).toBe('DENY');
      expect(res.headers['x-content-type-options'], what).toBe('nosniff');
      expect(res.headers['referrer-policy'], what).toBe('no-referrer');
    }
    expect(answers.unauthorized.statusCode).toBe(401);
    expect(answers.notFound.statusCode).toBe(404);
    // Bull Board's UI: its own scripts, inline styles, and its <base href>.
    const boardCsp = String(answers.board.headers['content-security-policy']);
    expect(boardCsp).toContain("script-src 'self'");
    expect(boardCsp).toContain("style-src 'self' 'unsafe-inline'");
    expect(boardCsp).toContain("base-uri 'self'");
    expect(boardCsp).not.toContain('upgrade-insecure-requests');
    // The dashboard keeps its stricter, hash-pinned policy; the sign-in page runs no script at all.
    expect(answers.dashboard.headers['content-security-policy']).toMatch(/script-src 'sha256-/);
    expect(answers.signIn.headers['content-security-policy']).toContain("default-src 'none'");
  });
});

describe('Bull Board', () => {
  const pause = (board: FastifyInstance) =>
    board.inject({
      method: 'PUT',
      url: `/admin/queues/api/queues/${encodeURIComponent(f.queue.name)}/pause`,
      headers: { authorization: `Bearer ${TOKEN}` },
    });

  it('is read-only by default', async () => {
    const res = await pause(app);
    expect(res.statusCode).toBe(405);
    expect(await f.queue.isPaused()).toBe(false);
    const queues = await app.inject({
      url: '/admin/queues/api/queues',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(queues.json().queues[0].readOnlyMode).toBe(true);
  });

  it('acts with AIKEYS_BOARD_WRITE=true', async () => {
    expect((await pause(writableBoard)).statusCode).toBe(200);
    expect(await f.queue.isPaused()).toBe(true);
    await f.queue.resume();
  });
});

describe('the admin token', () => {
  it('an app is not built with a token shorter than 32 characters', async () => {
    await expect(buildApp(f, { adminToken: 'x'.repeat(31) })).rejects.toThrow(
      /at least 32 characters.*aikeys gen-key/,
    );
  });
});
