/**
 * The baselines next to aikeys: a raw BullMQ worker (same connection options, concurrency and job
 * options as the aikeys worker, a queue and prefix of its own) whose processor calls the provider
 * with one fixed key through the official `openai` client (the ceiling: no lease, no write-back),
 * or with plain `fetch`, or does nothing; and the provider called directly, without a queue, by C
 * closed-loop callers.
 */
import { randomBytes } from 'node:crypto';
import { Queue, Worker, type Processor } from 'bullmq';
import OpenAI from 'openai';
import { Secret } from '../../src/core/secret.js';
import { createOpenAiCompatibleProvider } from '../../src/providers/openai-compatible.js';
import type { ChatProvider, ChatRequest } from '../../src/providers/types.js';
import { createBullConnection } from '../../src/queues/connections.js';
import type { AiJobData } from '../../src/jobs/job-schema.js';
import { DEFAULT_JOB_OPTIONS } from '../../src/queues/producer.js';
import { sampleLoop, type LoopSample } from './closed-loop.js';
import type { BatchTarget } from './pipeline-batch.js';
import { benchPrefix } from './redis-prefix.js';
import { deleteKeysWithPrefix } from '../../src/queues/delete-prefix.js';

export interface RawWorkerBench {
  readonly target: BatchTarget;
  close(): Promise<void>;
}

const TIMEOUT_MS = 30_000;

/** One fixed simulated key: the simulator answers any `sim-ok-*` key with a normal completion. */
export function fixedKey(): Secret {
  return new Secret(`sim-ok-ceiling-${randomBytes(12).toString('hex')}`);
}

export function chatRequestOf(job: AiJobData): ChatRequest {
  return {
    model: job.model ?? 'gpt-4o-mini',
    messages: job.messages,
    maxTokens: job.maxTokens,
    temperature: job.temperature,
  };
}

/** Calls the provider once; a failed call fails the bench rather than counting as throughput. */
export async function callOnce(provider: ChatProvider, request: ChatRequest, secret: Secret) {
  const result = await provider.chat(request, { secret }, { timeoutMs: TIMEOUT_MS });
  if (!result.ok) throw new Error(`bench: provider call failed (HTTP ${result.status}: ${result.message})`);
  return result;
}

/** The call through the official `openai` client, as most application workers make it. */
export function ceilingProcessor(openaiBaseUrl: string): Processor<AiJobData> {
  const client = new OpenAI({
    apiKey: fixedKey().reveal(),
    baseURL: openaiBaseUrl,
    organization: null,
    project: null,
    maxRetries: 0,
    timeout: TIMEOUT_MS,
    logLevel: 'off',
  });
  return async (job) => {
    const request = chatRequestOf(job.data);
    const reply = await client.chat.completions.create({
      model: request.model,
      messages: [...request.messages],
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
    });
    return { content: reply.choices[0]?.message.content ?? '', usage: reply.usage };
  };
}

/** The same call with plain `fetch` and JSON, no SDK: the cheapest way a worker could make it. */
export function fetchProcessor(openaiBaseUrl: string): Processor<AiJobData> {
  const secret = fixedKey();
  const url = `${openaiBaseUrl.replace(/\/$/, '')}/chat/completions`;
  return async (job) => {
    const request = chatRequestOf(job.data);
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret.reveal()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: request.model,
        messages: request.messages,
        max_tokens: request.maxTokens,
      }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`bench: provider call failed (HTTP ${response.status})`);
    const body = (await response.json()) as {
      choices?: { message?: { content?: string } }[];
      usage?: unknown;
    };
    return { content: body.choices?.[0]?.message?.content ?? '', usage: body.usage };
  };
}

export const noopProcessor: Processor<AiJobData> = async () => null;

export async function startRawWorker(options: {
  redisUrl: string;
  name: string;
  concurrency: number;
  processor: Processor<AiJobData>;
  job: AiJobData;
}): Promise<RawWorkerBench> {
  const prefix = benchPrefix(`pipeline-${options.name}`);
  const connection = createBullConnection(options.redisUrl);
  const queue = new Queue<AiJobData>('ai-jobs', {
    connection,
    prefix,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  const worker = new Worker<AiJobData>('ai-jobs', options.processor, {
    connection,
    prefix,
    concurrency: options.concurrency,
    lockDuration: 60_000,
    maxStalledCount: 3,
  });
  await worker.waitUntilReady();
  const target: BatchTarget = {
    queue,
    worker,
    async enqueue(count) {
      for (let done = 0; done < count; done += 1000) {
        const n = Math.min(1000, count - done);
        await queue.addBulk(Array.from({ length: n }, () => ({ name: 'chat', data: options.job })));
      }
    },
  };
  return {
    target,
    async close() {
      try {
        await worker.close();
        await queue.close();
        await deleteKeysWithPrefix(connection, prefix);
      } finally {
        connection.disconnect();
      }
    },
  };
}

/** C callers calling the provider back to back, no queue: what the provider side alone allows. */
export function directCalls(options: {
  openaiBaseUrl: string;
  concurrency: number;
  durationMs: number;
  job: AiJobData;
}): Promise<LoopSample> {
  const provider = createOpenAiCompatibleProvider({ name: 'openai', baseUrl: options.openaiBaseUrl });
  const secret = fixedKey();
  const request = chatRequestOf(options.job);
  return sampleLoop(options.concurrency, options.durationMs, async () => {
    await callOnce(provider, request, secret);
  });
}
