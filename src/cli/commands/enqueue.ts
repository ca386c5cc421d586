/**
 * `aikeys enqueue`: puts one AI job on the queue, the way any producer would, and optionally waits
 * for its result. It needs only Redis (servicesFor): a machine that enqueues work has no business
 * holding the master key or the key file.
 */
import { randomUUID } from 'node:crypto';
import { AikeysError } from '../../core/errors.js';
import { createBullConnection } from '../../queues/connections.js';
import { checkJobData, type AiJobData, type AiJobResult, type ChatMessage } from '../../jobs/job-schema.js';
import { createProducer } from '../../queues/producer.js';
import { servicesFor, writeJson, type CommandRegistrar } from '../context.js';

export const DEFAULT_WAIT_TIMEOUT_MS = 120_000;

export interface EnqueueOptions {
  prompt: string;
  system?: string;
  model?: string;
  provider?: string;
  maxTokens?: string;
  temperature?: string;
  wait?: boolean;
  timeoutMs?: string;
  json?: boolean;
}

/**
 * Numbers are handed to the job schema as parsed, even when they are not numbers (NaN) or out of
 * range: its message names the field (`maxTokens: ...`), the same message a worker would give.
 */
export function jobDataFromOptions(options: EnqueueOptions): AiJobData {
  const messages: ChatMessage[] = [];
  if (options.system !== undefined) messages.push({ role: 'system', content: options.system });
  messages.push({ role: 'user', content: options.prompt });
  return {
    messages,
    ...(options.provider !== undefined ? { provider: options.provider } : {}),
    ...(options.model !== undefined ? { model: options.model } : {}),
    ...(options.maxTokens !== undefined ? { maxTokens: Number(options.maxTokens) } : {}),
    ...(options.temperature !== undefined ? { temperature: Number(options.temperature) } : {}),
  };
}

function timeoutOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_WAIT_TIMEOUT_MS;
  const ms = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(ms) || ms <= 0) {
    throw new AikeysError('INVALID_ARGUMENT', `--timeout-ms: must be a whole number of milliseconds above 0`);
  }
  return ms;
}

export function renderJobResult(jobId: string, result: AiJobResult): string {
  const { usage } = result;
  const attempts = result.attempts
    .map((a) => `${a.keyName} ${a.status}${a.error === null ? '' : ` (${a.error})`}`)
    .join(', ');
  return [
    result.content,
    '',
    `job:      ${jobId}`,
    `key:      ${result.keyName} (${result.provider})`,
    `model:    ${result.model}`,
    `usage:    ${usage.promptTokens} prompt + ${usage.completionTokens} completion = ${usage.totalTokens} tokens`,
    `cost:     $${result.estimatedCost.toFixed(6)}`,
    `attempts: ${attempts}`,
    '',
  ].join('\n');
}

// BullMQ's waitUntilFinished rejects with this when no finish event came within the time allowed.
const BULLMQ_WAIT_TIMEOUT = /timed out before finishing/;

export const registerEnqueue: CommandRegistrar = (program, ctx) => {
  program
    .command('enqueue')
    .description('add one AI job to the queue and print its id; with --wait, wait for a worker to run it')
    .requiredOption('--prompt <text>', 'the user message')
    .option('--system <text>', 'a system message before it')
    .option('--model <model>', "model to ask for (default: the key's own model)")
    .option('--provider <name>', 'provider (default: openai)')
    .option('--max-tokens <n>', 'most tokens to generate')
    .option('--temperature <t>', 'sampling temperature, 0 to 2')
    .option('--wait', 'wait for the result and print it')
    .option('--timeout-ms <n>', `with --wait, how long to wait (default ${DEFAULT_WAIT_TIMEOUT_MS})`)
    .option('--json', 'print JSON')
    .action(async (options: EnqueueOptions, command: typeof program) => {
      const services = servicesFor(ctx, command);
      const data = jobDataFromOptions(options);
      // Checked before connecting too, so that bad input is reported as such even with Redis down.
      const check = checkJobData(data);
      if (!check.ok) throw new AikeysError('JOB_DATA_INVALID', check.message);
      const timeoutMs = options.wait === true ? timeoutOf(options.timeoutMs) : undefined;
      const connection = createBullConnection(services.redisUrl, {}, { cluster: services.redisCluster });
      const producer = createProducer({ connection, prefix: services.prefix, queueName: services.queueName });
      try {
        if (timeoutMs === undefined) {
          const jobId = await producer.enqueue(data);
          if (options.json === true) writeJson(ctx, { jobId, queue: services.queueName });
          else ctx.out(`${jobId}\n`);
          return;
        }
        // Our own id, so that a timeout can say which job is still queued.
        const jobId = `cli-${randomUUID()}`;
        let result: AiJobResult;
        try {
          result = await producer.run(data, { jobId, timeoutMs });
        } catch (error) {
          if (error instanceof AikeysError) throw error;
          const message = error instanceof Error ? error.message : String(error);
          if (BULLMQ_WAIT_TIMEOUT.test(message)) {
            throw new AikeysError(
              'JOB_WAIT_TIMEOUT',
              `no result within ${timeoutMs} ms: is a worker running? (npm run worker); job ${jobId} stays queued`,
            );
          }
          // The job's failure reason: by contract it names what went wrong and never holds a secret.
          throw new AikeysError('JOB_FAILED', `job ${jobId} failed: ${message}`, { cause: error });
        }
        if (options.json === true) writeJson(ctx, { jobId, ...result });
        else ctx.out(renderJobResult(jobId, result));
      } finally {
        await producer.close();
        connection.disconnect();
      }
    });
};
