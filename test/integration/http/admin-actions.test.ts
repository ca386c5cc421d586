/**
 * The API's audit trail: each key action and reset-daily leaves a pino line (with the key name in
 * the clear, through the real redaction list) and an ai_admin_actions row naming how the caller
 * signed in; GET /api/admin-actions lists them newest first.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED_PATHS } from '../../../src/core/logger.js';
import { isolate } from '../../setup/isolation.js';
import { ADMIN_TOKEN, buildApp, RecordingActions, setUp, signIn, type Fixture } from './fixtures.js';

const env = isolate('httpaudit');
let f: Fixture;
let app: FastifyInstance;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  f = await setUp(env);
  // The production logger's redaction, writing to memory.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
  app = await buildApp(f, { adminToken: ADMIN_TOKEN, actions: new RecordingActions(f.db), logger });
});

afterAll(async () => {
  await app?.close();
  await f?.close();
  await env.cleanup();
});

const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('audit of API actions', () => {
  it('block, disable, enable and reset-daily each leave a row and a log line with the key name', async () => {
    const cookie = await signIn(app, ADMIN_TOKEN);
    const post = (url: string, payload: object, headers: Record<string, string>) =>
      app.inject({ method: 'POST', url, payload, headers });
    expect((await post('/api/keys/key_1/block', { seconds: 60, reason: 'noisy' }, bearer)).statusCode).toBe(
      200,
    );
    const viaSession = { cookie, 'sec-fetch-site': 'same-origin' };
    expect((await post('/api/keys/key_2/disable', { reason: 'leaked' }, viaSession)).statusCode).toBe(200);
    expect((await post('/api/keys/key_2/enable', {}, bearer)).statusCode).toBe(200);
    expect((await post('/api/reset-daily', {}, bearer)).statusCode).toBe(200);
    // A refused action (unknown key) is not an action taken.
    expect((await post('/api/keys/key_77/enable', {}, bearer)).statusCode).toBe(404);

    const rows = await f
      .db('ai_admin_actions')
      .orderBy('id')
      .select('actor', 'action', 'key_name', 'reason', 'details');
    expect(rows).toEqual([
      {
        actor: 'api:AIKEYS_ADMIN_TOKEN',
        action: 'block',
        key_name: 'key_1',
        reason: 'noisy',
        details: { via: 'bearer', ip: '127.0.0.1', seconds: 60 },
      },
      {
        actor: 'api:AIKEYS_ADMIN_TOKEN',
        action: 'disable',
        key_name: 'key_2',
        reason: 'leaked',
        details: { via: 'session', ip: '127.0.0.1' },
      },
      {
        actor: 'api:AIKEYS_ADMIN_TOKEN',
        action: 'enable',
        key_name: 'key_2',
        reason: null,
        details: { via: 'bearer', ip: '127.0.0.1' },
      },
      {
        actor: 'api:AIKEYS_ADMIN_TOKEN',
        action: 'reset-daily',
        key_name: null,
        reason: null,
        details: { via: 'bearer', ip: '127.0.0.1', keysReset: 4 },
      },
    ]);

    const audit = lines.filter((l) => l.audit === true);
    expect(audit.map((l) => [l.action, l.keyName])).toEqual([
      ['block', 'key_1'],
      ['disable', 'key_2'],
      ['enable', 'key_2'],
      ['reset-daily', null],
    ]);
    expect(String(audit[0]!.msg)).toContain('key_1');
    expect(JSON.stringify(lines)).not.toContain('[redacted]');
    expect(JSON.stringify(lines)).not.toContain(ADMIN_TOKEN);
  });

  it('GET /api/admin-actions lists them newest first, up to limit', async () => {
    const res = await app.inject({ url: '/api/admin-actions?limit=2', headers: bearer });
    expect(res.statusCode).toBe(200);
    const { actions } = res.json() as { actions: { id: number; action: string; created_at: string }[] };
    expect(actions.map((a) => a.action)).toEqual(['reset-daily', 'enable']);
    expect(actions[0]!.id).toBeGreaterThan(actions[1]!.id);
    expect(Date.parse(actions[0]!.created_at)).not.toBeNaN();
    const all = await app.inject({ url: '/api/admin-actions', headers: bearer });
    expect((all.json() as { actions: unknown[] }).actions).toHaveLength(4);
  });

  it('a bad limit is 400 naming it, and the list needs auth like every API route', async () => {
    for (const query of ['limit=0', 'limit=501', 'limit=two', 'since=1']) {
      const res = await app.inject({ url: `/api/admin-actions?${query}`, headers: bearer });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.message, query).toMatch(/query/);
    }
    expect((await app.inject({ url: '/api/admin-actions' })).statusCode).toBe(401);
  });
});
