/**
 * One front-door request as one `ai-jobs` job: enqueued like any producer's (so it gets the pool's
 * priorities, quotas, slow start, breaker, retries on other keys and exact accounting), then waited
 * for until AIKEYS_GATEWAY_TIMEOUT_MS. A job that has not started by then is removed: nobody is left
 * to read its answer, and it would otherwise spend a key on it.
 */
import { AikeysError } from '../core/errors.js';
import type { AiJobData, AiJobResult } from '../jobs/job-schema.js';
import type { AiJobProducer } from '../queues/producer.js';
import type { JobEnqueuer } from './enqueue-batch.js';
import { errorForFailure, errorForTimeout } from './job-outcome.js';
import type { JobOutcome, JobWaiter } from './job-waiter.js';
import { gatewayError, type GatewayError } from './wire-errors.js';

export type RelayAnswer =
  { readonly ok: true; readonly result: AiJobResult } | { readonly ok: false; readonly error: GatewayError };

export interface Relay {
  run(data: AiJobData): Promise<RelayAnswer>;
}

/** States in which no worker holds the job: removing it cannot cut a provider call short. */
const NOT_STARTED = new Set(['waiting', 'delayed', 'prioritized', 'waiting-children']);

export interface RelayOptions {
  readonly producer: AiJobProducer;
  /** Enqueues for the producer, several requests' jobs in one write. */
  readonly enqueuer: JobEnqueuer;
  readonly waiter: JobWaiter;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

/** The job's id, or the 400 its data earned (the producer checks it against the workers' limits). */
export async function enqueueJob(
  enqueuer: JobEnqueuer,
  data: AiJobData,
): Promise<{ ok: true; jobId: string } | { ok: false; error: GatewayError }> {
  try {
    return { ok: true, jobId: await enqueuer.enqueue(data) };
  } catch (error) {
    if (error instanceof AikeysError && error.code === 'JOB_DATA_INVALID') {
      return { ok: false, error: gatewayError('invalid_request', 400, error.message) };
    }
    throw error;
  }
}

/** The error for a job that failed or missed its deadline; a job no worker took is removed. */
export async function errorForOutcome(
  producer: AiJobProducer,
  jobId: string,
  outcome: Exclude<JobOutcome, { kind: 'completed' }>,
  timeoutMs: number,
  now: number,
): Promise<GatewayError> {
  if (outcome.kind === 'failed') return errorForFailure(outcome.reason);
  if (NOT_STARTED.has(outcome.state)) {
    // 0 when a worker took it meanwhile: it then finishes and is counted as usual.
    await producer.queue.remove(jobId).catch(() => 0);
  }
  return errorForTimeout(outcome.state, outcome.retryAtMs, timeoutMs, now);
}

export function createRelay({ producer, enqueuer, waiter, timeoutMs, now = Date.now }: RelayOptions): Relay {
  return {
    async run(data) {
      const deadline = now() + timeoutMs;
      const enqueued = await enqueueJob(enqueuer, data);
      if (!enqueued.ok) return enqueued;
      const outcome = await waiter.wait(enqueued.jobId, deadline);
      if (outcome.kind === 'completed') return { ok: true, result: outcome.result };
      return { ok: false, error: await errorForOutcome(producer, enqueued.jobId, outcome, timeoutMs, now()) };
    },
  };
}
