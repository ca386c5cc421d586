/**
 * Both adapters against the simulated provider over real HTTP: what each kind of answer becomes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import { createAnthropicProvider } from '../../../src/providers/anthropic.js';
import { createOpenAiCompatibleProvider } from '../../../src/providers/openai-compatible.js';
import type { ChatProvider, ChatRequest } from '../../../src/providers/types.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../../src/simulator/server.js';

let sim: SimulatedProvider;
beforeAll(async () => {
  sim = await startSimulatedProvider({ recordRequests: true });
});
afterAll(async () => {
  await sim.close();
});

const request: ChatRequest = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'Answer briefly.' },
    { role: 'user', content: 'What is the capital of France?' },
  ],
  maxTokens: 50,
};

const call = (provider: ChatProvider, key: string, timeoutMs = 5000, req = request) =>
  provider.chat(req, { secret: new Secret(key) }, { timeoutMs });

describe.each([
  ['openai', () => createOpenAiCompatibleProvider({ name: 'openai', baseUrl: sim.openaiBaseUrl })],
  ['anthropic', () => createAnthropicProvider({ name: 'anthropic', baseUrl: sim.anthropicBaseUrl })],
] as const)('%s wire format', (_label, make) => {
  it('returns the answer with usage', async () => {
    const result = await call(make(), 'sk-sim-ok-0000000001');
    expect(result).toMatchObject({ ok: true, status: 200, model: 'gpt-4o-mini' });
    if (!result.ok) throw new Error('expected success');
    expect(result.content).toBe('echo: What is the capital of France?');
    expect(result.usage.promptTokens).toBeGreaterThan(5);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(result.usage.totalTokens).toBe(result.usage.promptTokens + result.usage.completionTokens);
  });

  it('answers each of many concurrent calls with its own prompt', async () => {
    const provider = make();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(provider, `sk-sim-ok-concurrent-${i % 5}`, 5000, {
          model: 'gpt-4o',
          messages: [{ role: 'user', content: `prompt number ${i}` }],
        }),
      ),
    );
    results.forEach((result, i) =>
      expect(result).toMatchObject({ ok: true, content: `echo: prompt number ${i}` }),
    );
  });

  it('401 -> auth_failed', async () => {
    const result = await call(make(), 'sim-401-abcdefghijklmnop');
    expect(result).toMatchObject({ ok: false, status: 401, outcome: { kind: 'auth_failed', status: 401 } });
  });

  it('402 -> quota_exhausted', async () => {
    const result = await call(make(), 'sim-402-abcdefghijklmnop');
    expect(result).toMatchObject({ ok: false, status: 402, outcome: { kind: 'quota_exhausted' } });
  });

  it("the provider's own no-balance answer -> quota_exhausted", async () => {
    const result = await call(make(), 'sim-quota-abcdefghijklmnop');
    expect(result).toMatchObject({ ok: false, outcome: { kind: 'quota_exhausted' } });
  });

  it('429 with Retry-After -> rate_limited with retryAfterMs', async () => {
    const result = await call(make(), 'sim-429-17-abcdefghijklmnop');
    expect(result).toMatchObject({
      ok: false,
      status: 429,
      outcome: { kind: 'rate_limited', retryAfterMs: 17_000 },
      retryAfterMs: 17_000,
    });
  });

  it('500 -> server_error', async () => {
    const result = await call(make(), 'sim-500-abcdefghijklmnop');
    expect(result).toMatchObject({ ok: false, status: 500, outcome: { kind: 'server_error', status: 500 } });
  });

  it('no answer within the timeout -> server_error with status 0', async () => {
    const result = await call(make(), 'sim-slow5000-abcdefghijklmnop', 100);
    expect(result).toMatchObject({ ok: false, status: 0, outcome: { kind: 'server_error', status: 0 } });
    expect(result.ok === false && result.message).toMatch(/timed out/);
  });

  it('a 200 that is not JSON -> server_error saying the reply is unreadable', async () => {
    const result = await call(make(), 'sim-garbage-abcdefghijklmnop');
    expect(result).toMatchObject({ ok: false, outcome: { kind: 'server_error' } });
    expect(result.ok === false && result.message).toMatch(/unreadable reply/);
  });

  it('a 200 JSON without an answer -> server_error saying the reply is unreadable', async () => {
    const result = await call(make(), 'sim-hollow-abcdefghijklmnop');
    expect(result).toMatchObject({ ok: false, outcome: { kind: 'server_error' } });
    expect(result.ok === false && result.message).toMatch(/unreadable reply/);
  });

  it('connection refused -> server_error with status 0', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const provider =
      _label === 'openai'
        ? createOpenAiCompatibleProvider({ name: 'openai', baseUrl: `http://127.0.0.1:${port}/v1` })
        : createAnthropicProvider({ name: 'anthropic', baseUrl: `http://127.0.0.1:${port}` });
    const result = await call(provider, 'sk-sim-ok-0000000001');
    expect(result).toMatchObject({ ok: false, status: 0, outcome: { kind: 'server_error', status: 0 } });
    expect(result.ok === false && result.message).toMatch(/ECONNREFUSED/);
  });

  it('an abort by the caller -> request_error with status 0 (not the key fault)', async () => {
    const controller = new AbortController();
    const pending = make().chat(
      request,
      { secret: new Secret('sim-slow5000-abcdefghijklmnop') },
      { timeoutMs: 10_000, signal: controller.signal },
    );
    controller.abort();
    expect(await pending).toMatchObject({
      ok: false,
      status: 0,
      outcome: { kind: 'request_error', status: 0 },
    });
  });
});

describe('anthropic specifics', () => {
  it('sends system messages as the system field and defaults max_tokens', async () => {
    const provider = createAnthropicProvider({ name: 'anthropic', baseUrl: sim.anthropicBaseUrl });
    const marker = `anthropic-system-${Date.now()}`;
    const result = await call(provider, 'sk-sim-anthropic-0001', 5000, {
      model: 'claude-3-5-haiku-latest',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: marker },
        { role: 'system', content: 'Use English.' },
      ],
    });
    expect(result.ok).toBe(true);
    const received = sim.requests.find((r) => r.messages.some((m) => m.content === marker));
    expect(received).toMatchObject({
      api: 'anthropic',
      system: 'Be terse.\n\nUse English.',
      messages: [{ role: 'user', content: marker }],
      maxTokens: 1024,
    });
  });
});

describe('openai-compatible specifics', () => {
  let server: Server;
  let baseUrl: string;
  beforeAll(async () => {
    // A local server that omits usage, as some do: usage is then counted locally.
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          model: 'local',
          choices: [{ message: { role: 'assistant', content: 'hi there' } }],
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('counts usage itself when the server reports none', async () => {
    const provider = createOpenAiCompatibleProvider({ name: 'local', baseUrl });
    const result = await call(provider, 'anything-goes-here');
    expect(result).toMatchObject({ ok: true, content: 'hi there', model: 'local' });
    if (!result.ok) throw new Error('expected success');
    expect(result.usage.promptTokens).toBeGreaterThan(0);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
  });

  it('sends the messages in order, with max_tokens', async () => {
    const provider = createOpenAiCompatibleProvider({ name: 'openai', baseUrl: sim.openaiBaseUrl });
    const marker = `openai-order-${Date.now()}`;
    await call(provider, 'sk-sim-ok-0000000002', 5000, {
      ...request,
      messages: [...request.messages, { role: 'user', content: marker }],
    });
    const received = sim.requests.find((r) => r.messages.some((m) => m.content === marker));
    expect(received).toMatchObject({
      api: 'openai',
      maxTokens: 50,
      messages: [...request.messages, { role: 'user', content: marker }],
    });
  });
});
