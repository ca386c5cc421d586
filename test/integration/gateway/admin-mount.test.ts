/**
 * The front door mounted on the admin server: `/v1` takes client tokens and answers in the
 * providers' shapes, while the admin routes still take only the admin token.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFrontDoor, type FrontDoor } from '../../../src/gateway/front-door.js';
import { buildAdminApp } from '../../../src/http/app.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../../src/simulator/server.js';
import { isolate } from '../../setup/isolation.js';
import { startSystem, type TestSystem } from '../jobs/system.js';

const CLIENT = `app-${'c'.repeat(40)}`;
const ADMIN = `admin-${'a'.repeat(40)}`;
const env = isolate('gwadmin');
let sim: SimulatedProvider;
let s: TestSystem;
let frontDoor: FrontDoor;
let app: FastifyInstance;

beforeAll(async () => {
  sim = await startSimulatedProvider({});
  s = await startSystem(env, sim.openaiBaseUrl, [
    `AIKEYS_GATEWAY_TOKENS=app:${CLIENT}`,
    'KEY_1=sk-mount-0001',
  ]);
  const { config, db, logger } = s.container;
  frontDoor = await createFrontDoor(config, db, s.container.bullConnection);
  app = await buildAdminApp({
    db,
    config,
    queues: [],
    logger,
    adminToken: ADMIN,
    gateway: frontDoor.options,
  });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await frontDoor?.close();
  await s?.close();
  await sim?.close();
  await env.cleanup();
});

describe('the front door on the admin server', () => {
  it('serves /v1 to a client token, not to the admin token', async () => {
    const asClient = await app.inject({ url: '/v1/models', headers: { authorization: `Bearer ${CLIENT}` } });
    expect(asClient.statusCode).toBe(200);
    expect(asClient.json()).toMatchObject({
      object: 'list',
      data: [{ id: 'gpt-4o-mini', owned_by: 'openai' }],
    });
    const asAdmin = await app.inject({ url: '/v1/models', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(asAdmin.statusCode).toBe(401);
    expect(asAdmin.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'invalid_api_key' },
    });
  });

  it('answers a chat completion', async () => {
    const reply = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'x-api-key': CLIENT },
      payload: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toMatchObject({ object: 'chat.completion', choices: [{ finish_reason: 'stop' }] });
  });

  it('takes prompts larger than the admin API body limit (64 KiB), up to AI_MAX_PROMPT_BYTES', async () => {
    const reply = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${CLIENT}` },
      payload: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(200 * 1024) }] },
    });
    expect(reply.statusCode).toBe(200);
  });

  it('keeps the admin routes behind the admin token', async () => {
    const asClient = await app.inject({ url: '/api/keys', headers: { authorization: `Bearer ${CLIENT}` } });
    expect(asClient.statusCode).toBe(401);
    expect(asClient.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });
});
