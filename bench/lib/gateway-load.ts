/**
 * The gateway bench's load generator, run as a child process of its own: the `openai` client's CPU
 * (undici, JSON, the SDK) is then the application's, as in a deployment, rather than taken from the
 * process that runs the front door and the workers. It runs one closed-loop sample and prints it as
 * one JSON line: `{ seconds, latenciesMs, failed, firstError }`.
 *
 * `node --import tsx bench/lib/gateway-load.ts <baseURL> <apiKey> <concurrency> <durationMs> <warmupMs> <whole|stream>`
 */
import OpenAI from 'openai';
import { pathToFileURL } from 'node:url';
import { sampleLoop } from './closed-loop.js';

export const LOAD_MODEL = 'gpt-4o-mini';
export const LOAD_PROMPT = 'Explain rate limits in one sentence.';
/** A call that takes longer counts as failed, so one lost answer cannot hang the run. */
export const CALL_TIMEOUT_MS = 30_000;

export interface LoadSample {
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly failed: number;
  readonly firstError: string | null;
}

export async function runLoad(
  baseURL: string,
  apiKey: string,
  concurrency: number,
  durationMs: number,
  warmupMs: number,
  mode: 'whole' | 'stream',
): Promise<LoadSample> {
  const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: CALL_TIMEOUT_MS, logLevel: 'off' });
  const body = {
    model: LOAD_MODEL,
    messages: [{ role: 'user' as const, content: LOAD_PROMPT }],
    max_tokens: 16,
  };
  let failed = 0;
  let firstError: string | null = null;
  const call = async (): Promise<void> => {
    try {
      if (mode === 'whole') {
        await client.chat.completions.create(body);
        return;
      }
      const stream = await client.chat.completions.create({
        ...body,
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const chunk of stream) void chunk;
    } catch (error) {
      failed += 1;
      firstError ??= String(error);
    }
  };
  const sample = await sampleLoop(concurrency, durationMs, call, warmupMs);
  return { seconds: sample.seconds, latenciesMs: [...sample.latenciesMs], failed, firstError };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [baseURL, apiKey, concurrency, durationMs, warmupMs, mode] = process.argv.slice(2);
  const sample = await runLoad(
    baseURL!,
    apiKey!,
    Number(concurrency),
    Number(durationMs),
    Number(warmupMs),
    mode === 'stream' ? 'stream' : 'whole',
  );
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}
