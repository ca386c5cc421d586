/**
 * Streamed replies through the front door as applications read them: the official `openai`
 * client with `stream: true` (and include_usage) and `@anthropic-ai/sdk`'s `messages.stream`,
 * against a whole system (workers, keys, the simulated provider streaming in both formats).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/logger.js';
import { replyStreamKey } from '../../../src/lease/redis-keys.js';
import { startGatewayServer, type RunningGateway } from '../../../src/runtime/gateway-server.js';
import { startProcessObservability } from '../../../src/runtime/process-observability.js';
import { closeInOrder } from '../../../src/runtime/shutdown.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../../src/simulator/server.js';
import { isolate } from '../../setup/isolation.js';
import { startSystem, type TestSystem } from '../jobs/system.js';

const BILLING = `billing-${'b'.repeat(40)}`;
const WEB = `web-${'w'.repeat(40)}`;

const env = isolate('gateway-stream');
let sim: SimulatedProvider;
let s: TestSystem;
let gateway: RunningGateway;
/** The same front door with AIKEYS_GATEWAY_TRANSLATE=true. */
let translating: RunningGateway;

beforeAll(async () => {
  sim = await startSimulatedProvider({ recordRequests: true });
  // Six openai keys: 1-3 are the primary account, so key_2 (500) is tried before key_6 for gpt-failover.
  s = await startSystem(env, sim.openaiBaseUrl, [
    `AIKEYS_GATEWAY_TOKENS=billing:${BILLING},web:${WEB}`,
    `AI_PROVIDER_ANTHROPIC_BASE_URL=${sim.anthropicBaseUrl}`,
    'KEY_1=sk-st-ok-0001',
    'KEY_2=sim-500-st-0002',
    'KEY_2_MODEL=gpt-failover',
    'KEY_3=sim-nousage-st-0003',
    'KEY_3_MODEL=gpt-nousage',
    'KEY_4=sim-drip100-st-0004',
    'KEY_4_MODEL=gpt-drip',
    'KEY_5=sim-midfail-st-0005',
    'KEY_5_MODEL=gpt-midfail',
    'KEY_6=sk-st-ok-0006',
    'KEY_6_MODEL=gpt-failover',
    'KEY_7=sk-ant-st-0007',
    'KEY_7_PROVIDER=anthropic',
    'KEY_7_MODEL=claude-3-5-haiku-latest',
    'KEY_8=sim-midfail-ant-0008',
    'KEY_8_PROVIDER=anthropic',
    'KEY_8_MODEL=claude-midfail',
  ]);
  gateway = await startGatewayServer(s.container, { port: 0 });
  const { config } = s.container;
  translating = await startGatewayServer(
    { ...s.container, config: { ...config, services: { ...config.services, gatewayTranslate: true } } },
    { port: 0 },
  );
}, 60_000);

afterAll(async () => {
  await closeInOrder([...(translating?.closeSteps ?? []), ...(gateway?.closeSteps ?? [])], silentLogger);
  await s?.close();
  await sim?.close();
  await env.cleanup();
});

const openai = (apiKey = BILLING) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey, maxRetries: 0 });
const anthropic = (base = gateway) => new Anthropic({ baseURL: base.url, apiKey: WEB, maxRetries: 0 });

interface LogRow {
  key_name: string;
  response_status: number;
  client: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  usage_estimated: boolean;
  error_message: string | null;
}

async function logsOf(model: string, atLeast: number): Promise<LogRow[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const rows = (await s.container
      .db('ai_request_logs as l')
      .join('ai_api_keys as k', 'k.key_id', 'l.key_id')
      .where({ 'l.model': model })
      .orderBy('l.created_at')
      .select(
        'k.key_name',
        'l.response_status',
        'l.client',
        'l.prompt_tokens',
        'l.completion_tokens',
        'l.usage_estimated',
        'l.error_message',
      )) as LogRow[];
    if (rows.length >= atLeast) return rows;
    if (Date.now() > deadline) throw new Error(`only ${rows.length} usage rows for ${model}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function readAll(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
  return { chunks, text };
}

describe('streaming through the front door', () => {
  it('streams an OpenAI chat completion in pieces, usage in the last chunk, and logs it for the client', async () => {
    const stream = await openai().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'tell me about streams in five words' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, text } = await readAll(stream);
    expect(text).toBe('echo: tell me about streams in five words');
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(0);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('stop');
    const usage = chunks.at(-1)!.usage!;
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    const [row] = await logsOf('gpt-4o-mini', 1);
    expect(row).toMatchObject({
      response_status: 200,
      client: 'billing',
      usage_estimated: false,
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
    });
    // The worker asked the provider to stream, with usage.
    expect(sim.requests.at(-1)).toMatchObject({ api: 'openai', model: 'gpt-4o-mini' });
  });

  it('estimates and marks the usage when the provider streams none', async () => {
    const stream = await openai().chat.completions.create({
      model: 'gpt-nousage',
      messages: [{ role: 'user', content: 'count me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, text } = await readAll(stream);
    expect(text).toBe('echo: count me');
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
    const [row] = await logsOf('gpt-nousage', 1);
    expect(row).toMatchObject({ response_status: 200, client: 'billing', usage_estimated: true });
    expect(row!.prompt_tokens).toBeGreaterThan(0);
    expect(row!.completion_tokens).toBeGreaterThan(0);
  });

  it('streams an Anthropic message with messages.stream: events, final message and usage', async () => {
    const stream = anthropic().messages.stream({
      model: 'claude-3-5-haiku-latest',
      max_tokens: 64,
      system: 'be brief',
      messages: [{ role: 'user', content: 'hello from anthropic' }],
    });
    const pieces: string[] = [];
    stream.on('text', (text) => pieces.push(text));
    const message = await stream.finalMessage();
    expect(pieces.join('')).toBe('echo: hello from anthropic');
    expect(pieces.length).toBeGreaterThan(1);
    expect(message).toMatchObject({ role: 'assistant', stop_reason: 'end_turn' });
    expect(message.content).toEqual([{ type: 'text', text: 'echo: hello from anthropic' }]);
    const [row] = await logsOf('claude-3-5-haiku-latest', 1);
    expect(row).toMatchObject({ response_status: 200, client: 'web', usage_estimated: false });
    expect(message.usage).toMatchObject({
      input_tokens: row!.prompt_tokens,
      output_tokens: row!.completion_tokens,
    });
    expect(sim.requests.at(-1)).toMatchObject({ api: 'anthropic', system: 'be brief', maxTokens: 64 });
  });

  it('fails over to another key when the stream fails before its first chunk', async () => {
    const stream = await openai().chat.completions.create({
      model: 'gpt-failover',
      messages: [{ role: 'user', content: 'second time lucky' }],
      stream: true,
    });
    const { text, chunks } = await readAll(stream);
    expect(text).toBe('echo: second time lucky');
    // No include_usage: no usage chunk.
    expect(chunks.every((c) => c.usage === undefined)).toBe(true);
    const rows = await logsOf('gpt-failover', 2);
    expect(rows.map((r) => [r.key_name, r.response_status])).toEqual([
      ['key_2', 500],
      ['key_6', 200],
    ]);
  });

  it('ends with the provider error event after the first chunk, in each format, and logs what was paid', async () => {
    const stream = await openai().chat.completions.create({
      model: 'gpt-midfail',
      messages: [{ role: 'user', content: 'break after a word' }],
      stream: true,
    });
    const received: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toMatch(/stream broke after its first chunk/);
    expect(received.join('')).toBe('echo: ');
    const [row] = await logsOf('gpt-midfail', 1);
    expect(row).toMatchObject({ key_name: 'key_5', response_status: 200, usage_estimated: true });
    expect(row!.completion_tokens).toBeGreaterThan(0);
    expect(row!.error_message).toMatch(/stream broke after its first chunk/);

    const broken = anthropic().messages.stream({
      model: 'claude-midfail',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'break here too' }],
    });
    await expect(broken.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
    const [antRow] = await logsOf('claude-midfail', 1);
    expect(antRow).toMatchObject({ key_name: 'key_8', response_status: 200, usage_estimated: true });
  });

  it('still logs the usage of a stream whose client disconnected mid-way', async () => {
    const controller = new AbortController();
    const stream = await openai().chat.completions.create(
      {
        model: 'gpt-drip',
        messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }],
        stream: true,
      },
      { signal: controller.signal },
    );
    const received: string[] = [];
    for await (const chunk of stream) {
      received.push(chunk.choices[0]?.delta.content ?? '');
      if (received.join('') !== '') {
        controller.abort();
        break;
      }
    }
    expect(received.join('')).toBe('echo: ');
    // The worker finishes the call (ten more pieces, 100 ms apart) and writes its row.
    const [row] = await logsOf('gpt-drip', 1);
    expect(row).toMatchObject({ key_name: 'key_4', response_status: 200, client: 'billing' });
    expect(row!.completion_tokens).toBeGreaterThan(1);
    // The front door stopped following it; its entries expire (TTL) rather than linger.
    await expect.poll(() => gateway.frontDoor.reader.following).toBe(0);
    const keys = await s.container.commandConnection.keys(replyStreamKey(env.prefix, '*'));
    for (const key of keys.filter((k) => !k.includes(':wake:'))) {
      expect(await s.container.commandConnection.ttl(key)).toBeGreaterThan(0);
    }
  });

  it('answers a streamed request that cannot start with the usual JSON error', async () => {
    await expect(
      openai().chat.completions.create({
        model: 'no-such-model',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
      }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('AIKEYS_GATEWAY_TRANSLATE', () => {
  it('serves /v1/messages from an OpenAI-format key, whole and streamed, translated both ways', async () => {
    const client = anthropic(translating);
    const message = await client.messages.create({
      model: 'gpt-4o-mini',
      max_tokens: 40,
      system: 'answer in kind',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'translated please' },
      ],
    });
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'echo: translated please' }],
      stop_reason: 'end_turn',
    });
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    // The provider got OpenAI's format: the system prompt as the first message, max_tokens kept.
    expect(sim.requests.at(-1)).toMatchObject({
      api: 'openai',
      model: 'gpt-4o-mini',
      maxTokens: 40,
      messages: [
        { role: 'system', content: 'answer in kind' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'translated please' },
      ],
    });

    const streamed = await client.messages
      .stream({ model: 'gpt-4o-mini', max_tokens: 40, messages: [{ role: 'user', content: 'stream it' }] })
      .finalMessage();
    expect(streamed.content).toEqual([{ type: 'text', text: 'echo: stream it' }]);
    expect(streamed.usage.output_tokens).toBeGreaterThan(0);
  });

  it('is off by default: an OpenAI-format model is not served on /v1/messages', async () => {
    await expect(
      anthropic().messages.create({
        model: 'gpt-4o-mini',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toBeInstanceOf(Anthropic.NotFoundError);
  });
});

describe('the front door as its own process', () => {
  it('serves /healthz, /readyz and /metrics beside /v1, which still needs a client token', async () => {
    const observability = await startProcessObservability(s.container, {
      serviceName: 'aikeys-gateway-test',
      runsWorkers: false,
      env: {},
    });
    const alone = await startGatewayServer(s.container, { port: 0, probes: observability });
    try {
      expect((await fetch(`${alone.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${alone.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ ready: true });
      expect(await (await fetch(`${alone.url}/metrics`)).text()).toContain('aikeys_ready');
      expect((await fetch(`${alone.url}/v1/models`)).status).toBe(401);
      await observability.shutdownStep.close();
      expect((await fetch(`${alone.url}/readyz`)).status).toBe(503);
    } finally {
      await closeInOrder(alone.closeSteps, silentLogger);
      await observability.tracingStep.close();
    }
  });
});
