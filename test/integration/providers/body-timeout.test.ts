/**
 * The call timeout covers the whole response, not only its headers: a server that sends 200 and
 * its headers at once and then trickles the body one byte every 200 ms must not hold a call (and
 * its key lease, and the job) past the timeout. Both wire formats.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import { createAnthropicProvider } from '../../../src/providers/anthropic.js';
import { classifyNoResponse } from '../../../src/providers/classify.js';
import { createOpenAiCompatibleProvider } from '../../../src/providers/openai-compatible.js';
import type { ChatRequest } from '../../../src/providers/types.js';

const TIMEOUT_MS = 1000;
const BYTE_EVERY_MS = 200;

const OPENAI_BODY = JSON.stringify({
  id: 'chatcmpl-trickle',
  object: 'chat.completion',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'slowly' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
});
const ANTHROPIC_BODY = JSON.stringify({
  id: 'msg_trickle',
  type: 'message',
  role: 'assistant',
  model: 'claude-3-5-haiku',
  content: [{ type: 'text', text: 'slowly' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 5, output_tokens: 1 },
});

let server: Server;
let baseUrl: string;
const open = new Set<ServerResponse>();

/** Headers at once, then the body one byte at a time; stops when the client goes away. */
function trickle(res: ServerResponse, body: string): void {
  open.add(res);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.flushHeaders();
  let at = 0;
  const timer = setInterval(() => {
    if (at >= body.length || res.destroyed) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      open.delete(res);
      return;
    }
    res.write(body[at]);
    at += 1;
  }, BYTE_EVERY_MS);
  res.on('close', () => {
    clearInterval(timer);
    open.delete(res);
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => trickle(res, req.url?.includes('/messages') ? ANTHROPIC_BODY : OPENAI_BODY));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of open) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const request: ChatRequest = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'hi' }],
  maxTokens: 5,
};

describe.each([
  ['openai', () => createOpenAiCompatibleProvider({ name: 'openai', baseUrl: `${baseUrl}/v1` })],
  ['anthropic', () => createAnthropicProvider({ name: 'anthropic', baseUrl })],
] as const)('%s wire format, body trickled after prompt headers', (name, make) => {
  it('ends near the timeout, classified exactly as a timeout', async () => {
    const started = Date.now();
    const result = await make().chat(
      request,
      { secret: new Secret('sk-trickle-0000') },
      { timeoutMs: TIMEOUT_MS },
    );
    const elapsed = Date.now() - started;
    // The whole body would take ~60 s at this rate.
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 2000);
    expect(result).toEqual(classifyNoResponse(name, 'timeout', `no response within ${TIMEOUT_MS} ms`));
  });

  it("the caller's own abort still counts as the caller's, not a timeout", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await make().chat(
      request,
      { secret: new Secret('sk-trickle-0000') },
      { timeoutMs: TIMEOUT_MS, signal: controller.signal },
    );
    expect(result).toEqual(classifyNoResponse(name, 'aborted', ''));
  });
});
