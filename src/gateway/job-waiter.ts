/**
 * Waiting for many jobs' results with one QueueEvents reader per process. A reader holds a blocking
 * Redis connection and parses every event of the queue, so one per request would cost thousands of
 * connections and parse each event thousands of times; here its completed/failed events are fanned
 * out in memory, by job id, to the requests waiting for them.
 */
import { Job, type Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AiJobData, AiJobResult } from '../jobs/job-schema.js';

export type JobOutcome =
  | { readonly kind: 'completed'; readonly result: AiJobResult }
  | { readonly kind: 'failed'; readonly reason: string }
  /** The deadline passed first; `state` is the job's BullMQ state then (`delayed`: waiting for a key). */
  | { readonly kind: 'timeout'; readonly state: string; readonly retryAtMs: number | null };

export interface JobWaiter {
  /** Resolves with the job's outcome, or `timeout` at `deadlineMs` (epoch ms). Never rejects. */
  wait(jobId: string, deadlineMs: number): Promise<JobOutcome>;
  /** Requests waiting now (for tests and metrics). */
  readonly waiting: number;
  close(): Promise<void>;
}

type Settle = (outcome: JobOutcome) => void;

/** When a waiter looks whether its job finished before it registered (see `wait`). */
export const FINISHED_CHECK_MS = 250;

export async function createJobWaiter(
  queue: Queue<AiJobData, AiJobResult>,
  connection: Redis,
  prefix: string,
): Promise<JobWaiter> {
  // QueueEvents blocks its connection (XREAD BLOCK), so it gets a duplicate that is ours to close.
  const eventsConnection = connection.duplicate();
  const events = new QueueEvents(queue.name, { connection: eventsConnection, prefix });
  const waiters = new Map<string, Settle[]>();

  const settle = (jobId: string, outcome: JobOutcome): void => {
    const list = waiters.get(jobId);
    if (list === undefined) return;
    waiters.delete(jobId);
    for (const resolve of list) resolve(outcome);
  };
  events.on('completed', ({ jobId, returnvalue }) =>
    settle(jobId, { kind: 'completed', result: returnvalue as unknown as AiJobResult }),
  );
  events.on('failed', ({ jobId, failedReason }) => settle(jobId, { kind: 'failed', reason: failedReason }));
  await events.waitUntilReady();

  /** The outcome of a job that finished before its waiter registered, read once from the queue. */
  async function finishedAlready(jobId: string): Promise<JobOutcome | undefined> {
    const job = await Job.fromId<AiJobData, AiJobResult>(queue, jobId);
    if (job === undefined) return { kind: 'failed', reason: `job ${jobId} is no longer in the queue` };
    if (job.finishedOn === undefined) return undefined;
    if (job.failedReason !== undefined && job.returnvalue == null) {
      return { kind: 'failed', reason: job.failedReason };
    }
    return { kind: 'completed', result: job.returnvalue };
  }

  async function timedOut(jobId: string): Promise<JobOutcome> {
    const state = await queue.getJobState(jobId);
    if (state !== 'delayed') return { kind: 'timeout', state, retryAtMs: null };
    // A job waiting for a key wakes at its score in the delayed set (ms since epoch, shifted left
    // 12 bits by BullMQ); the job's own `delay` field is relative to a moment it does not keep.
    const score = await connection.zscore(queue.keys.delayed!, jobId);
    return { kind: 'timeout', state, retryAtMs: score === null ? null : Math.floor(Number(score) / 4096) };
  }

  return {
    wait(jobId, deadlineMs) {
      return new Promise<JobOutcome>((resolve) => {
        let settled = false;
        // Runs only from the timers and the events, after both timers below exist.
        const done: Settle = (outcome) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          clearTimeout(check);
          resolve(outcome);
        };
        const list = waiters.get(jobId);
        if (list === undefined) waiters.set(jobId, [done]);
        else list.push(done);
        const forget = (): void => {
          const current = waiters.get(jobId);
          if (current === undefined) return;
          const rest = current.filter((d) => d !== done);
          if (rest.length === 0) waiters.delete(jobId);
          else waiters.set(jobId, rest);
        };
        const timer = setTimeout(
          () => {
            forget();
            // Looked up once more first: an event missed while the reader reconnected to Redis
            // must not turn a finished job into a timeout.
            finishedAlready(jobId)
              .then((outcome) => outcome ?? timedOut(jobId))
              .then(done, () => done({ kind: 'timeout', state: 'unknown', retryAtMs: null }));
          },
          Math.max(0, deadlineMs - Date.now()),
        );
        // The job may have finished before this waiter was in the map (its event already read):
        // look once, a little later, when any later event is sure to find the waiter. Not at once:
        // a front-door job takes a provider call to finish, so an immediate look (a round trip and
        // a job parse per request) nearly always finds it unfinished; the rare early finish is
        // answered up to FINISHED_CHECK_MS later instead.
        const check = setTimeout(() => {
          finishedAlready(jobId).then(
            (outcome) => {
              if (outcome === undefined || settled) return;
              forget();
              done(outcome);
            },
            () => undefined, // Redis hiccup: the events (or the deadline) still answer.
          );
        }, FINISHED_CHECK_MS);
      });
    },
    get waiting() {
      return waiters.size;
    },
    async close() {
      for (const jobId of [...waiters.keys()]) {
        settle(jobId, { kind: 'failed', reason: 'the front door is shutting down' });
      }
      await events.close();
      eventsConnection.disconnect();
    },
  };
}
