/**
 * No ChatResult ever carries the key it was made with, whatever the provider answers, including
 * providers that echo the key back (OpenAI's 401 does, masked; a misbehaving proxy may do it whole).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import { createAnthropicProvider } from '../../../src/providers/anthropic.js';
import { createOpenAiCompatibleProvider } from '../../../src/providers/openai-compatible.js';
import type { ChatProvider, ChatResult } from '../../../src/providers/types.js';
import { startSimulatedProvider, type SimulatedProvider } from '../../../src/simulator/server.js';

const KEYS = [
  'sim-401-Zq8vT3kLmN5pR7sX',
  'sim-402-Zq8vT3kLmN5pR7sX',
  'sim-quota-Zq8vT3kLmN5pR7sX',
  'sim-429-9-Zq8vT3kLmN5pR7sX',
  'sim-500-Zq8vT3kLmN5pR7sX',
  'sim-garbage-Zq8vT3kLmN5pR7sX',
  'sim-hollow-Zq8vT3kLmN5pR7sX',
  'sim-slow3000-Zq8vT3kLmN5pR7sX',
  'sk-proj-Zq8vT3kLmN5pR7sXokok',
];

function expectNoKey(result: ChatResult, key: string): void {
  const text = JSON.stringify(result);
  expect(text).not.toContain(key);
  // Nor the distinctive part of it, masked or not.
  expect(text).not.toContain('Zq8vT3kLmN5pR7sX');
  expect(text).not.toContain('R7sX');
}

let sim: SimulatedProvider;
let echoServer: Server;
let echoUrl: string;

beforeAll(async () => {
  sim = await startSimulatedProvider();
  // A "provider" that repeats the Authorization header it received, whole, in every error.
  echoServer = createServer((req, res) => {
    const said = `${req.headers.authorization ?? ''} ${req.headers['x-api-key'] ?? ''}`;
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `bad credentials: ${said}` } }));
  });
  await new Promise<void>((resolve) => echoServer.listen(0, '127.0.0.1', resolve));
  echoUrl = `http://127.0.0.1:${(echoServer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sim.close();
  echoServer.closeAllConnections();
  await new Promise((resolve) => echoServer.close(resolve));
});

const providers = (): [string, ChatProvider][] => [
  ['openai', createOpenAiCompatibleProvider({ name: 'openai', baseUrl: sim.openaiBaseUrl })],
  ['anthropic', createAnthropicProvider({ name: 'anthropic', baseUrl: sim.anthropicBaseUrl })],
];

describe('no secret in any result', () => {
  it.each(KEYS)('key %s', async (key) => {
    for (const [, provider] of providers()) {
      const result = await provider.chat(
        { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] },
        { secret: new Secret(key) },
        { timeoutMs: 200 },
      );
      expectNoKey(result, key);
    }
  });

  it('removes a key echoed whole by the provider', async () => {
    const key = 'plain-looking-Zq8vT3kLmN5pR7sX';
    for (const provider of [
      createOpenAiCompatibleProvider({ name: 'echo', baseUrl: `${echoUrl}/v1` }),
      createAnthropicProvider({ name: 'echo', baseUrl: echoUrl }),
    ]) {
      const result = await provider.chat(
        { model: 'm', messages: [{ role: 'user', content: 'hello' }] },
        { secret: new Secret(key) },
        { timeoutMs: 5000 },
      );
      expect(result).toMatchObject({ ok: false, outcome: { kind: 'auth_failed' } });
      expect(result.ok === false && result.message).toContain('bad credentials');
      expectNoKey(result, key);
    }
  });
});
