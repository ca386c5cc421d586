/**
 * The typed producer: enqueue AI jobs, enqueue many at once, or run one and wait for its result.
 * Any BullMQ producer in another language can do the same with the queue name and prefix.
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { AikeysError } from '../core/errors.js';
import { checkJobData, type AiJobData, type AiJobResult, type JobDataLimits } from '../jobs/job-schema.js';
import { activeTraceparent } from '../observability/trace-context.js';
import { AI_JOB_NAME } from './names.js';
import { openQueueEvents, type QueueEventsFromNow } from './queue-events.js';

export interface ProducerOptions {
  connection: Redis;
  prefix: string;
  queueName: string;
  /**
   * The workers' AI_MAX_PROMPT_BYTES (default: its default): a larger job is refused here rather than
   * enqueued to fail.
   */
  maxPromptBytes?: number;
}

export interface AiJobProducer {
  readonly queue: Queue<AiJobData, AiJobResult>;
  enqueue(data: AiJobData, options?: JobsOptions): Promise<string>;
  enqueueBulk(items: readonly AiJobData[], options?: JobsOptions): Promise<string[]>;
  /** Enqueue and wait for the result; rejects with the job's failure reason. */
  run(data: AiJobData, options?: JobsOptions & { timeoutMs?: number }): Promise<AiJobResult>;
  close(): Promise<void>;
}

/** Completed jobs are kept for an hour (results fetched by id), failed ones for a day (inspection). */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: { age: 24 * 3600 },
};

function assertValid(data: AiJobData, limits: JobDataLimits | undefined): void {
  const check = checkJobData(data, limits);
  if (!check.ok) throw new AikeysError('JOB_DATA_INVALID', check.message);
}

/**
 * The caller's active span, if any, goes with the job (`metadata.traceparent`, W3C) so the
 * worker's spans join the caller's trace. A traceparent the caller put there itself is kept.
 */
function withTraceparent(data: AiJobData): AiJobData {
  if (data.metadata?.traceparent !== undefined) return data;
  const traceparent = activeTraceparent();
  return traceparent ? { ...data, metadata: { ...data.metadata, traceparent } } : data;
}

export function createProducer({
  connection,
  prefix,
  queueName,
  maxPromptBytes,
}: ProducerOptions): AiJobProducer {
  const limits = maxPromptBytes === undefined ? undefined : { maxPromptBytes };
  const queue = new Queue<AiJobData, AiJobResult>(queueName, {
    connection,
    prefix,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  // Each `run` waiting on its job puts a 'closing' listener on the queue (BullMQ's
  // waitUntilFinished) until the job ends: a producer waiting on many jobs at once is the normal
  // case, not a leak, so Node's warning past 10 listeners is turned off here.
  queue.setMaxListeners(0);
  // Opened once, at the first `run`, from the last event there is then (queue-events.ts).
  let opening: Promise<QueueEventsFromNow> | undefined;
  function queueEvents(): Promise<QueueEventsFromNow> {
    opening ??= openQueueEvents(connection, queueName, prefix).catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  }

  return {
    queue,
    async enqueue(given, options) {
      const data = withTraceparent(given);
      assertValid(data, limits);
      const job = await queue.add(AI_JOB_NAME, data, options);
      return job.id!;
    },
    async enqueueBulk(given, options) {
      const items = given.map(withTraceparent);
      for (const data of items) assertValid(data, limits);
      const jobs = await queue.addBulk(items.map((data) => ({ name: AI_JOB_NAME, data, opts: options })));
      return jobs.map((j) => j.id!);
    },
    async run(given, options = {}) {
      const data = withTraceparent(given);
      assertValid(data, limits);
      const { timeoutMs, ...jobOptions } = options;
      const { events } = await queueEvents();
      const job = await queue.add(AI_JOB_NAME, data, jobOptions);
      return job.waitUntilFinished(events, timeoutMs);
    },
    async close() {
      await (await opening?.catch(() => undefined))?.close();
      await queue.close();
    },
  };
}
