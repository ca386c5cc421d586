/**
 * Front-door jobs enqueued together: the requests that reach their enqueue in one turn of the event
 * loop (the HTTP parser hands over every request one socket read brought) are added with one
 * `enqueueBulk`, i.e. one Redis pipeline and one socket write, instead of one EVALSHA write each.
 * The batch is sent from `setImmediate`, after the turn's I/O callbacks.
 *
 * A request that finds the front door quiet (no request waiting for a job, no enqueue pending or
 * unanswered) is added at once instead: at low rates it is alone in its turn, and the end of the
 * turn can come after other callbacks of that turn (a worker's, in the same process) that it would
 * otherwise wait for. A request that follows it in the same turn finds it unanswered and is batched.
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

export interface JobEnqueuerOptions {
  /** Whether no request is waiting for a job now (default: never, every enqueue is batched). */
  readonly quiet?: () => boolean;
}

export function createJobEnqueuer(
  producer: AiJobProducer,
  { quiet = () => false }: JobEnqueuerOptions = {},
): JobEnqueuer {
  let pending: Pending[] = [];
  // Enqueues written and not answered yet.
  let unanswered = 0;

  function written<T>(write: Promise<T>): Promise<T> {
    unanswered += 1;
    const answered = (): void => void (unanswered -= 1);
    write.then(answered, answered);
    return write;
  }

  function one(p: Pending): void {
    written(producer.enqueue(p.data)).then(p.resolve, p.reject);
  }

  function flush(): void {
    const batch = pending;
    pending = [];
    if (batch.length === 1) return one(batch[0]!);
    written(producer.enqueueBulk(batch.map((p) => p.data))).then(
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
        const p = { data: withTraceparent(data), resolve, reject };
        if (pending.length === 0 && unanswered === 0 && quiet()) return one(p);
        if (pending.length === 0) setImmediate(flush);
        pending.push(p);
      });
    },
  };
}
