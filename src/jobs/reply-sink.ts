/**
 * The worker's end of a streamed reply (reply-stream.ts): text is written as it comes, one XADD in
 * flight at a time; text that arrives meanwhile is merged into the next entry. So a fast provider
 * costs one Redis round trip per batch, not per token, and entries stay in order without awaiting
 * each write in the provider's event loop. The key gets its TTL with its first entry.
 */
import type { Redis } from 'ioredis';
import { replyStreamKey } from '../lease/redis-keys.js';
import type { FinishReason } from '../providers/types.js';
import {
  REPLY_FIELD,
  REPLY_MAX_ENTRIES,
  REPLY_TTL_SECONDS,
  type ReplyEntry,
  type ReplyUsage,
} from './reply-stream.js';

export interface ReplySink {
  /** Text to pass on; returns at once. */
  delta(text: string, model: string): void;
  /** Whether any entry was written (or is on its way). */
  readonly started: boolean;
  end(model: string, finishReason: FinishReason, usage: ReplyUsage): Promise<void>;
  fail(message: string): Promise<void>;
}

export interface ReplyStreams {
  open(jobId: string, run: number): ReplySink;
}

export function createReplyStreams(redis: Redis, prefix: string): ReplyStreams {
  return {
    open(jobId, run) {
      const key = replyStreamKey(prefix, jobId);
      let seq = 0;
      let pendingText = '';
      let model: string | undefined;
      let inFlight: Promise<void> | undefined;
      let failed: unknown;

      const write = async (entry: ReplyEntry): Promise<void> => {
        const json = JSON.stringify(entry);
        if (entry.n === 0 || entry.t !== 'd') {
          await redis
            .pipeline()
            .xadd(key, 'MAXLEN', '~', REPLY_MAX_ENTRIES, '*', REPLY_FIELD, json)
            .expire(key, REPLY_TTL_SECONDS)
            .exec();
        } else {
          await redis.xadd(key, 'MAXLEN', '~', REPLY_MAX_ENTRIES, '*', REPLY_FIELD, json);
        }
      };
      const drain = (): void => {
        if (inFlight !== undefined || pendingText === '') return;
        const text = pendingText;
        pendingText = '';
        const entry: ReplyEntry =
          seq === 0 && model !== undefined
            ? { t: 'd', r: run, n: seq, x: text, m: model }
            : { t: 'd', r: run, n: seq, x: text };
        seq += 1;
        inFlight = write(entry).then(
          () => {
            inFlight = undefined;
            drain();
          },
          (error: unknown) => {
            // Kept and raised by end/fail: the job then fails like any Redis failure would.
            failed ??= error;
            inFlight = undefined;
          },
        );
      };
      const settled = async (): Promise<void> => {
        while (inFlight !== undefined) await inFlight;
        if (failed !== undefined) throw failed;
      };
      const flushText = async (): Promise<void> => {
        await settled();
        drain();
        await settled();
      };

      return {
        delta(text, modelName) {
          model ??= modelName;
          pendingText += text;
          drain();
        },
        get started() {
          return seq > 0 || pendingText !== '';
        },
        async end(modelName, finishReason, usage) {
          await flushText();
          await write({ t: 'end', r: run, n: seq++, m: modelName, f: finishReason, u: usage });
        },
        async fail(message) {
          await flushText();
          await write({ t: 'err', r: run, n: seq++, msg: message });
        },
      };
    },
  };
}
