/**
 * A streamed front-door request: the job is enqueued with `stream: true`, and its reply is followed
 * (reply-reader.ts) while its outcome is waited for (job-waiter.ts). Whichever speaks first decides
 * what the client gets:
 * - the reply's first entry: a 200 event stream, relayed entry by entry until its end;
 * - the job's failure, with no entry written: the same HTTP error a whole request gets (a stream
 *   that broke before its first chunk was already retried on other keys by the job);
 * - its deadline: 429 or 504 as for a whole request;
 * - its completion with no entry (a worker that does not stream): the whole answer, replayed as
 *   a stream.
 * Once streaming, each entry must come within AIKEYS_GATEWAY_TIMEOUT_MS of the one before.
 */
import type { AiJobData } from '../jobs/job-schema.js';
import type { ReplyEntry } from '../jobs/reply-stream.js';
import type { AiJobProducer } from '../queues/producer.js';
import type { JobEnqueuer } from './enqueue-batch.js';
import type { JobWaiter } from './job-waiter.js';
import { enqueueJob, errorForOutcome } from './relay.js';
import type { ReplyReader, ReplySubscription } from './reply-reader.js';
import { entriesOf, type SseWriter } from './sse-frames.js';
import type { GatewayError } from './wire-errors.js';

/** How long entries a finished job wrote may take to reach this process's reader. */
const ENTRY_GRACE_MS = 2_000;

export type StreamStart =
  | {
      readonly ok: true;
      readonly first: ReplyEntry;
      readonly subscription: ReplySubscription;
      /** Deletes the reply once relayed whole. */
      readonly discard: () => void;
    }
  | { readonly ok: false; readonly error: GatewayError };

export interface StreamRelay {
  start(data: AiJobData): Promise<StreamStart>;
  /** Writes the reply until its end, an error, the deadline between entries, or `gone()`. */
  pump(start: Extract<StreamStart, { ok: true }>, writer: SseWriter, out: StreamOutput): Promise<PumpEnd>;
}

export interface StreamOutput {
  write(frames: string): void;
  /** The last frames, with which the response ends (one write for both). */
  end(frames: string): void;
  /** The client went away. */
  gone(): boolean;
}

export type PumpEnd = 'done' | 'client_gone' | 'timeout' | 'lost';

export interface StreamRelayOptions {
  readonly producer: AiJobProducer;
  readonly enqueuer: JobEnqueuer;
  readonly waiter: JobWaiter;
  readonly reader: ReplyReader;
  readonly timeoutMs: number;
  readonly now?: () => number;
}

function replay(entries: ReplyEntry[]): ReplySubscription {
  return {
    next: async () => entries.shift() ?? 'timeout',
    take: () => entries.shift(),
    close: () => undefined,
  };
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))]);

export function createStreamRelay(options: StreamRelayOptions): StreamRelay {
  const { producer, enqueuer, waiter, reader, timeoutMs, now = Date.now } = options;

  async function start(data: AiJobData): Promise<StreamStart> {
    const deadline = now() + timeoutMs;
    const enqueued = await enqueueJob(enqueuer, { ...data, stream: true });
    if (!enqueued.ok) return enqueued;
    const { jobId } = enqueued;
    const subscription = reader.follow(jobId);
    const discard = (): void => reader.discard(jobId);
    const firstEntry = subscription.next(deadline);
    const outcome = waiter.wait(jobId, deadline);
    const raced = await Promise.race([firstEntry, outcome]);
    // The reply's deadline passed: the job's own outcome says why (waiting for a key, or running).
    const first = raced === 'timeout' ? await outcome : raced;
    if ('t' in first) return { ok: true, first, subscription, discard };
    // The job ended before an entry was read here: its entries, if any, are on their way.
    const written =
      first.kind === 'completed' ||
      (first.kind === 'failed' && (await reader.length(jobId).catch(() => 0)) > 0);
    const late = written ? await within(firstEntry, ENTRY_GRACE_MS) : 'timeout';
    if (late !== 'timeout') return { ok: true, first: late, subscription, discard };
    subscription.close();
    if (first.kind === 'completed') {
      const [head, ...rest] = entriesOf(first.result);
      return { ok: true, first: head!, subscription: replay(rest), discard };
    }
    return { ok: false, error: await errorForOutcome(producer, jobId, first, timeoutMs, now()) };
  }

  async function pump(
    { first, subscription, discard }: Extract<StreamStart, { ok: true }>,
    writer: SseWriter,
    out: StreamOutput,
  ): Promise<PumpEnd> {
    let entry: ReplyEntry | 'timeout' = first;
    let expected = 0;
    // The frames of every entry read already, written to the client in one go.
    let frames = '';
    const end = (last: string, how: PumpEnd): PumpEnd => {
      out.end(frames + last);
      return how;
    };
    try {
      for (;;) {
        if (out.gone()) return 'client_gone';
        if (entry === 'timeout') {
          const message = `No further part of the reply within ${timeoutMs} ms (AIKEYS_GATEWAY_TIMEOUT_MS)`;
          return end(writer.error(message), 'timeout');
        }
        if (entry.r !== first.r || entry.n !== expected) {
          const message =
            'Part of the reply was lost (its worker restarted mid-stream); send the request again';
          return end(writer.error(message), 'lost');
        }
        expected += 1;
        frames += writer.entry(entry);
        if (entry.t !== 'd') {
          discard();
          return end('', 'done');
        }
        const read = subscription.take();
        if (read !== undefined) {
          entry = read;
          continue;
        }
        out.write(frames);
        frames = '';
        entry = await subscription.next(now() + timeoutMs);
      }
    } finally {
      subscription.close();
    }
  }

  return { start, pump };
}
