/**
 * Jobs against an upstream whose usage numbers are odd (fractional, missing, negative): every call
 * is still one integer row in ai_request_logs, flagged when its tokens were estimated, and the keys'
 * used_today add up to the logged tokens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolate } from '../../setup/isolation.js';
import { startSystem, type TestSystem } from './system.js';

/** The usage block the upstream answers for each prompt. */
const USAGE_FOR: Record<string, unknown> = {
  fraction: { prompt_tokens: 10, completion_tokens: 20.5, total_tokens: 30.5 },
  missing: undefined,
  negative: { prompt_tokens: -5, completion_tokens: 3, total_tokens: -2 },
  'wrong total': { prompt_tokens: 7, completion_tokens: 3, total_tokens: 1000 },
};

const env = isolate('jobsusage');
let upstream: Server;
let s: TestSystem;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const prompt = (JSON.parse(body) as { messages: { content: string }[] }).messages[0]!.content;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'chatcmpl-odd',
          object: 'chat.completion',
          model: 'gpt-4o-mini',
          choices: [
            { index: 0, message: { role: 'assistant', content: `ok ${prompt}` }, finish_reason: 'stop' },
          ],
          usage: USAGE_FOR[prompt],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  s = await startSystem(env, `http://127.0.0.1:${port}/v1`, ['KEY_1=sk-odd-usage-0001']);
});

afterAll(async () => {
  await s?.close();
  await new Promise((resolve) => upstream?.close(resolve));
  await env.cleanup();
});

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Row {
  job_id: string;
  call_id: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  tokens_used: number;
  usage_estimated: boolean;
}

describe('usage an upstream reports oddly', () => {
  it('logs every call as integers, flags estimates, and keeps used_today equal to the log', async () => {
    const ask = (content: string) =>
      s.producer.run({ messages: [{ role: 'user', content }] }, { timeoutMs: 20_000 });
    const fraction = await ask('fraction');
    expect(fraction.usage).toEqual({
      promptTokens: 10,
      completionTokens: 21,
      totalTokens: 31,
      estimated: false,
    });
    const wrongTotal = await ask('wrong total');
    expect(wrongTotal.usage).toMatchObject({ totalTokens: 10, estimated: false });
    const missing = await ask('missing');
    const negative = await ask('negative');
    for (const result of [missing, negative]) {
      expect(result.usage.estimated).toBe(true);
      expect(result.usage.totalTokens).toBe(result.usage.promptTokens + result.usage.completionTokens);
      expect(result.usage.totalTokens).toBeGreaterThan(0);
    }

    const rows = () => s.container.db('ai_request_logs').select<Row[]>('*').orderBy('log_id');
    // Before: the 20.5 made Postgres refuse the batch and no usage at all was logged from then on.
    await until(async () => (await rows()).length === 4);
    const logged = await rows();
    expect(logged.map((r) => [r.tokens_used, r.usage_estimated])).toEqual([
      [31, false],
      [10, false],
      [missing.usage.totalTokens, true],
      [negative.usage.totalTokens, true],
    ]);
    expect(new Set(logged.map((r) => r.call_id)).size).toBe(4);
    expect(await s.container.db('ai_usage_rejects').count({ n: '*' })).toEqual([{ n: 0 }]);

    await s.container.pool.flush();
    const used = await s.container.db('ai_api_keys').sum({ n: 'used_today' }).first<{ n: number }>();
    expect(Number(used.n)).toBe(logged.reduce((sum, r) => sum + r.tokens_used, 0));
  });
});
