/**
 * The plain provider call over real HTTP, against servers that answer what a broken or hostile
 * endpoint might: bodies past the limit (declared or not), a redirect elsewhere, an error status
 * with the provider's words in its body.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/core/secret.js';
import { bearerHeaders, callForJson } from '../../../src/providers/json-call.js';
import { createOpenAiCompatibleProvider } from '../../../src/providers/openai-compatible.js';
import type { ChatResult } from '../../../src/providers/types.js';

const LIMIT = 1024;
const secret = new Secret('sk-json-call-test-0123456789abcdef');
let server: Server;
let elsewhere: Server;
let base: string;
/** Requests the redirect target received, with their headers. */
const reachedElsewhere: IncomingMessage['headers'][] = [];

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const s = createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return s;
}
const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

beforeAll(async () => {
  elsewhere = await listen((req, res) => {
    reachedElsewhere.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ choices: [{ message: { content: 'from elsewhere' } }] }));
  });
  server = await listen((req, res) => {
    const path = req.url ?? '';
    if (path.startsWith('/declared')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(LIMIT * 4) });
      res.end('x'.repeat(LIMIT * 4));
    } else if (path.startsWith('/chunked')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 8; i++) res.write('y'.repeat(LIMIT / 2));
      res.end();
    } else if (path.startsWith('/limited-huge')) {
      res.writeHead(429, { 'content-type': 'text/html', 'retry-after': '7' });
      for (let i = 0; i < 8; i++) res.write('<p>slow down</p>'.repeat(LIMIT / 16));
      res.end();
    } else if (path.startsWith('/redirect')) {
      res.writeHead(307, { location: `${urlOf(elsewhere)}/v1/chat/completions` });
      res.end();
    } else if (path.startsWith('/bad-model')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'The model `gpt-9` does not exist', type: 'invalid' } }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, pad: 'z'.repeat(LIMIT / 2) }));
    }
  });
  base = urlOf(server);
});

afterAll(async () => {
  for (const s of [server, elsewhere]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const read = (reply: unknown): ChatResult => ({
  ok: true,
  content: JSON.stringify(reply).slice(0, 20),
  model: 'm',
  usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2, estimated: false },
  status: 200,
});

const post = (path: string) =>
  callForJson(
    { provider: 'openai', secret, callOptions: { timeoutMs: 5000 }, now: Date.now },
    { url: `${base}${path}`, headers: bearerHeaders(secret), body: { model: 'm', messages: [] } },
    read,
    LIMIT,
  );

describe('a plain provider call', () => {
  it('reads a reply within the limit', async () => {
    expect(await post('/fine')).toMatchObject({ ok: true, content: '{"ok":true,"pad":"zz' });
  });

  it('refuses a reply whose declared length is past the limit, as an unreadable reply', async () => {
    const result = await post('/declared');
    expect(result).toMatchObject({ ok: false, status: 200, outcome: { kind: 'server_error' } });
    expect(result.ok === false && result.message).toMatch(
      /reply too large \(declared 4096 bytes, limit 1024\)/,
    );
  });

  it('refuses a reply with no declared length once it passes the limit', async () => {
    const result = await post('/chunked');
    expect(result).toMatchObject({ ok: false, status: 200, outcome: { kind: 'server_error' } });
    expect(result.ok === false && result.message).toMatch(/reply too large \(more than 1024 bytes/);
  });

  it('classifies an oversized error reply by its status and headers, not as a 200', async () => {
    const result = await post('/limited-huge');
    expect(result).toMatchObject({
      ok: false,
      status: 429,
      outcome: { kind: 'rate_limited', retryAfterMs: 7000 },
      retryAfterMs: 7000,
    });
    expect(result.ok === false && result.message).toMatch(/reply too large \(more than 1024 bytes/);
  });

  it('follows no redirect: the key never reaches another host', async () => {
    const result = await post('/redirect');
    expect(result).toMatchObject({ ok: false, status: 0, outcome: { kind: 'server_error', status: 0 } });
    expect(reachedElsewhere).toEqual([]);
  });

  it("classifies an error status with the provider's own words, never the key", async () => {
    const provider = createOpenAiCompatibleProvider({ name: 'openai', baseUrl: `${base}/bad-model` });
    const result = await provider.chat(
      { model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] },
      { secret },
      { timeoutMs: 5000 },
    );
    expect(result).toMatchObject({ ok: false, status: 404, outcome: { kind: 'request_error', status: 404 } });
    expect(result.ok === false && result.message).toBe(
      'openai returned HTTP 404: The model `gpt-9` does not exist',
    );
    expect(JSON.stringify(result)).not.toContain(secret.reveal());
  });
});
