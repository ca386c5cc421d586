/**
 * The front door as applications use it: the official `openai` and `@anthropic-ai/sdk` clients
 * pointed at aikeys by base URL, against a whole system (workers, keys, the simulated provider).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayServer, type RunningGateway } from '../../../src/runtime/gateway-server.js';
import { closeInOrder } from '../../../src/runtime/shutdown.js';
import { silentLogger } from '../../../src/core/logger.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../../src/simulator/server.js';
import { isolate } from '../../setup/isolation.js';
import { startSystem, type TestSystem } from '../jobs/system.js';

const BILLING = `billing-${'b'.repeat(40)}`;
const WEB = `web-${'w'.repeat(40)}`;
const SHORT_TIMEOUT_MS = 1_500;

const env = isolate('gateway');
let sim: SimulatedProvider;
let s: TestSystem;
let gateway: RunningGateway;
/** The same front door with a short deadline, for the 504 and 429 cases. */
let hasty: RunningGateway;

beforeAll(async () => {
  sim = await startSimulatedProvider({ recordRequests: true });
  // Eight openai keys: the first four are the primary account, so key_2 (invalid) is tried before
  // key_6 for gpt-failover.
  s = await startSystem(env, sim.openaiBaseUrl, [
    `AIKEYS_GATEWAY_TOKENS=billing:${BILLING},web:${WEB}`,
    `AI_PROVIDER_ANTHROPIC_BASE_URL=${sim.anthropicBaseUrl}`,
    'KEY_1=sk-gw-ok-0001',
    'KEY_2=sim-401-gw-0002',
    'KEY_2_MODEL=gpt-failover',
    'KEY_3=sim-500-gw-0003',
    'KEY_3_MODEL=gpt-broken',
    'KEY_4=sim-429-30-gw-0004',
    'KEY_4_MODEL=gpt-limited',
    'KEY_5=sk-gw-ok-0005',
    'KEY_6=sk-gw-ok-0006',
    'KEY_6_MODEL=gpt-failover',
    'KEY_7=sim-slow3000-gw-0007',
    'KEY_7_MODEL=gpt-slow',
    'KEY_8=sk-gw-ok-0008',
    'KEY_9=sk-ant-gw-0009',
    'KEY_9_PROVIDER=anthropic',
    'KEY_9_MODEL=claude-3-5-haiku-latest',
  ]);
  gateway = await startGatewayServer(s.container, { port: 0 });
  const { config } = s.container;
  hasty = await startGatewayServer(
    {
      ...s.container,
      config: { ...config, services: { ...config.services, gatewayTimeoutMs: SHORT_TIMEOUT_MS } },
    },
    { port: 0 },
  );
}, 60_000);

afterAll(async () => {
  await closeInOrder([...(hasty?.closeSteps ?? []), ...(gateway?.closeSteps ?? [])], silentLogger);
  await s?.close();
  await sim?.close();
  await env.cleanup();
});

const openai = (apiKey: string, base = gateway) =>
  new OpenAI({ baseURL: `${base.url}/v1`, apiKey, maxRetries: 0 });

interface LogRow {
  key_name: string;
  response_status: number;
  client: string | null;
}

async function logsOf(client: string, model: string, atLeast: number): Promise<LogRow[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const rows = (await s.container
      .db('ai_request_logs as l')
      .join('ai_api_keys as k', 'k.key_id', 'l.key_id')
      .where({ 'l.client': client, 'l.model': model })
      .orderBy('l.created_at')
      .select('k.key_name', 'l.response_status', 'l.client')) as LogRow[];
    if (rows.length >= atLeast) return rows;
    if (Date.now() > deadline) throw new Error(`only ${rows.length} usage rows for ${client}/${model}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the front door with the official clients', () => {
  it('answers OpenAI chat.completions.create through the pool, its usage row naming the client', async () => {
    const completion = await openai(BILLING).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hello ' },
            { type: 'text', text: 'there' },
          ],
        },
      ],
      max_completion_tokens: 50,
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content).toEqual(expect.any(String));
    expect(completion.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(completion.usage!.total_tokens).toBeGreaterThan(0);
    const rows = await logsOf('billing', 'gpt-4o-mini', 1);
    expect(rows[0]).toMatchObject({ response_status: 200, client: 'billing' });
    // What the provider was sent: the parts joined into one message, the token limit carried.
    expect(sim.requests.at(-1)).toMatchObject({
      api: 'openai',
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello there' },
      ],
      maxTokens: 50,
    });
  });

  it('answers Anthropic messages.create from a key of the anthropic provider', async () => {
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: WEB, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: 'claude-3-5-haiku-latest',
      system: 'be brief',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(message.type).toBe('message');
    expect(message.content[0]).toMatchObject({ type: 'text', text: expect.any(String) });
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    const rows = await logsOf('web', 'claude-3-5-haiku-latest', 1);
    expect(rows[0]).toMatchObject({ key_name: 'key_9', response_status: 200 });
    expect(sim.requests.at(-1)).toMatchObject({ api: 'anthropic', system: 'be brief', maxTokens: 64 });
  });

  it('refuses a wrong or missing token with 401 in each format (the SDKs raise AuthenticationError)', async () => {
    await expect(
      openai(`${BILLING}x`).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: 'not-a-client', maxRetries: 0 });
    await expect(
      anthropic.messages.create({
        model: 'claude-3-5-haiku-latest',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    const bare = await fetch(`${gateway.url}/v1/messages`, { method: 'POST', body: '{}' });
    expect(bare.status).toBe(401);
    expect(await bare.json()).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: expect.stringMatching(/^No API key/) },
    });
  });

  it('fails over when the first key is invalid', async () => {
    const completion = await openai(WEB).chat.completions.create({
      model: 'gpt-failover',
      messages: [{ role: 'user', content: 'fail over please' }],
    });
    expect(completion.choices[0]!.message.content).toEqual(expect.any(String));
    const rows = await logsOf('web', 'gpt-failover', 2);
    expect(rows.map((r) => [r.key_name, r.response_status])).toEqual([
      ['key_2', 401],
      ['key_6', 200],
    ]);
  });

  it('lists the models active keys serve, in OpenAI list shape', async () => {
    const ids = [];
    for await (const model of openai(BILLING).models.list()) ids.push([model.id, model.owned_by]);
    expect(ids).toContainEqual(['gpt-4o-mini', 'openai']);
    expect(ids).toContainEqual(['claude-3-5-haiku-latest', 'anthropic']);
    // key_2 was disabled as invalid by the failover above.
    expect(ids.map(([id]) => id)).not.toContain('gpt-failover-missing');
  });

  it('answers an unknown /v1 route 404 in the OpenAI shape, to a client only', async () => {
    const anonymous = await fetch(`${gateway.url}/v1/embeddings`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    const known = await fetch(`${gateway.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BILLING}` },
    });
    expect(known.status).toBe(404);
    expect(await known.json()).toMatchObject({
      error: { code: 'unknown_url', message: 'No route POST /v1/embeddings' },
    });
  });

  it('answers 400 in the provider shape for a bad request and an unserved model', async () => {
    const client = openai(BILLING);
    await expect(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/messages: must hold at least one message/),
    });
    await expect(
      client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('answers 502 naming the last upstream status when every key that could serve failed', async () => {
    const error = await openai(BILLING)
      .chat.completions.create({ model: 'gpt-broken', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((error as Error).message).toMatch(/last upstream status 500/);
  });

  // Run before the 504 case, whose slow call is still running afterwards: with a call in flight the
  // engine may look for a key again sooner, and Retry-After follows the job's next look.
  it('answers 429 with Retry-After when no key can serve by the deadline, and removes the waiting job', async () => {
    // The only key answers 429 with Retry-After: 30, so the job waits (delayed, holding no lease)
    // for it to be unblocked, well past the deadline.
    const error = await openai(BILLING, hasty)
      .chat.completions.create({ model: 'gpt-limited', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const retryAfter = Number((error as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(25);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(await s.queue.getJobCounts('delayed', 'waiting')).toEqual({ delayed: 0, waiting: 0 });
  });

  it('answers 504 at the deadline while the call is still running', async () => {
    const started = Date.now();
    const error = await openai(BILLING, hasty)
      .chat.completions.create({ model: 'gpt-slow', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
    expect((error as Error).message).toMatch(/AIKEYS_GATEWAY_TIMEOUT_MS/);
    expect(Date.now() - started).toBeLessThan(SHORT_TIMEOUT_MS + 1_000);
  });
});
