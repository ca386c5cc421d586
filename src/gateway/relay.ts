/**
 * One front-door request as one `ai-jobs` job: enqueued like any producer's (so it gets the pool's
 * priorities, quotas, slow start, breaker, retries on other keys and exact accounting), then waited
 * for until AIKEYS_GATEWAY_TIMEOUT_MS. A job that has not started by then is removed: nobody is left
 * to read its answer, and it would otherwise spend a key on it.
 */
import { AikeysError } from '../core/errors.js';
import type { AiJobData, AiJobResult } from '../jobs/job-schema.js';
import type { AiJobProducer } from '../queues/producer.js';
import { errorForFailure, errorForTimeout } from './job-outcome.js';
import type { JobWaiter } from './job-waiter.js';
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
  readonly waiter: JobWaiter;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

export function createRelay({ producer, waiter, timeoutMs, now = Date.now }: RelayOptions): Relay {
  return {
    async run(data) {
      const deadline = now() + timeoutMs;
      let jobId: string;
      try {
        jobId = await producer.enqueue(data);
      } catch (error) {
        // The producer checks the job against the workers' contract and limits (AI_MAX_PROMPT_BYTES).
        if (error instanceof AikeysError && error.code === 'JOB_DATA_INVALID') {
          return { ok: false, error: gatewayError('invalid_request', 400, error.message) };
        }
        throw error;
      }
      const outcome = await waiter.wait(jobId, deadline);
      if (outcome.kind === 'completed') return { ok: true, result: outcome.result };
      if (outcome.kind === 'failed') return { ok: false, error: errorForFailure(outcome.reason) };
      if (NOT_STARTED.has(outcome.state)) {
        // 0 when a worker took it meanwhile: it then finishes and is counted as usual.
        await producer.queue.remove(jobId).catch(() => 0);
      }
      return { ok: false, error: errorForTimeout(outcome.state, outcome.retryAtMs, timeoutMs, now()) };
    },
  };
}
