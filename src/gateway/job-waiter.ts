/**
 * Waiting for many jobs' results with one events reader per process (job-events.ts). A reader holds
 * a blocking Redis connection and reads every event of the queue, so one per request would cost
 * thousands of connections and read each event thousands of times; here its completed/failed
 * events are fanned out in memory, by job id, to the requests waiting for them.
 *
 * A job can finish before its waiter registers (a request's enqueue answer and the job's events
 * arrive on different connections): the outcomes nobody waited for are kept for RECENT_MS, where a
 * waiter that registers late finds its own. Both happen on this one thread, so the outcome is
 * either kept already or still to come when the waiter registers.
 */
import { Job, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AiJobData, AiJobResult } from '../jobs/job-schema.js';
import { readJobEvents } from './job-events.js';

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

/**
 * When a waiter looks in Redis whether its job finished: for an event the reader missed while it
 * reconnected to Redis (a job that finished before the waiter registered is in `recent`).
 */
export const FINISHED_CHECK_MS = 5_000;
/** How long an outcome nobody waited for is kept, and how many at most. */
export const RECENT_MS = 10_000;
const RECENT_MAX = 20_000;

export async function createJobWaiter(
  queue: Queue<AiJobData, AiJobResult>,
  connection: Redis,
): Promise<JobWaiter> {
  const waiters = new Map<string, Settle[]>();
  // In insertion order, so the oldest are dropped first.
  const recent = new Map<string, { readonly at: number; readonly outcome: JobOutcome }>();

  function keep(jobId: string, outcome: JobOutcome): void {
    const now = Date.now();
    recent.set(jobId, { at: now, outcome });
    for (const [id, kept] of recent) {
      if (recent.size <= RECENT_MAX && now - kept.at < RECENT_MS) break;
      recent.delete(id);
    }
  }

  const settle = (jobId: string, outcome: JobOutcome): void => {
    const list = waiters.get(jobId);
    if (list === undefined) return keep(jobId, outcome);
    waiters.delete(jobId);
    for (const resolve of list) resolve(outcome);
  };
  const events = await readJobEvents(connection, queue.keys.events!, (event) =>
    event.kind === 'completed'
      ? settle(event.jobId, { kind: 'completed', result: event.returnvalue as AiJobResult })
      : settle(event.jobId, { kind: 'failed', reason: event.failedReason }),
  );

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
      const early = recent.get(jobId);
      if (early !== undefined) {
        recent.delete(jobId);
        return Promise.resolve(early.outcome);
      }
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
        // An event the reader missed (reconnecting) is looked for in Redis once, FINISHED_CHECK_MS
        // on: not at once, a round trip and a job parse per request that nearly always finds the
        // job unfinished.
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
    },
  };
}
