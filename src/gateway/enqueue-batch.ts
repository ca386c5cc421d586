/**
 * Front-door jobs enqueued together: the requests that reach their enqueue in one turn of the event
 * loop (the HTTP parser hands over every request one socket read brought) are added with one
 * `enqueueBulk`, i.e. one Redis pipeline and one socket write, instead of one EVALSHA write each.
 * The batch is sent from `setImmediate`, after the turn's I/O callbacks: a lone request waits for
 * nothing but the end of the turn it is already in.
 */
import { AikeysError } from '../core/errors.js';
import type { AiJobData } from '../jobs/job-schema.js';
import { activeTraceparent } from '../observability/trace-context.js';
import type { AiJobProducer } from '../queues/producer.js';

export interface JobEnqueuer {
  /** The job's id; rejects as `producer.enqueue` does (AikeysError JOB_DATA_INVALID for bad data). */
  enqueue(data: AiJobData): Promise<string>;
}

interface Pending {
  readonly data: AiJobData;
  resolve(jobId: string): void;
  reject(error: unknown): void;
}

/**
 * The producer reads the active span when it enqueues, which a batch sent later no longer has: the
 * request's traceparent is put into its data here, where it is still active, and the producer keeps
 * one already there.
 */
function withTraceparent(data: AiJobData): AiJobData {
  if (data.metadata?.traceparent !== undefined) return data;
  const traceparent = activeTraceparent();
  return traceparent === undefined ? data : { ...data, metadata: { ...data.metadata, traceparent } };
}

export function createJobEnqueuer(producer: AiJobProducer): JobEnqueuer {
  let pending: Pending[] = [];

  function one(p: Pending): void {
    producer.enqueue(p.data).then(p.resolve, p.reject);
  }

  function flush(): void {
    const batch = pending;
    pending = [];
    if (batch.length === 1) return one(batch[0]!);
    producer.enqueueBulk(batch.map((p) => p.data)).then(
      (ids) => batch.forEach((p, i) => p.resolve(ids[i]!)),
      (error: unknown) => {
        // Refused before anything was written (the data is checked first): each job again on its
        // own, so only the bad one gets its 400. Any other failure may have added some of them,
        // and adding those twice would run them twice: every request of the batch fails instead.
        if (error instanceof AikeysError && error.code === 'JOB_DATA_INVALID') batch.forEach(one);
        else for (const p of batch) p.reject(error);
      },
    );
  }

  return {
    enqueue(data) {
      return new Promise<string>((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ data: withTraceparent(data), resolve, reject });
      });
    },
  };
}
