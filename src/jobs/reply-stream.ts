/**
 * A streamed job's reply on its way from the worker to the front door: entries of a Redis stream
 * (key: replyStreamKey), one JSON field each. Format-neutral, so one worker serves both wire
 * formats and a translated request streams too.
 *
 * - `d`: text (`x`) in order (`n` counts entries from 0, so a reader sees a gap), with the model
 *   (`m`) the first time;
 * - `end`: the reply is whole: finish reason, usage (estimated or reported), model;
 * - `err`: the provider call broke after text was sent; nothing more follows.
 * `r` is the job's run (BullMQ attemptsStarted): a worker that died mid-stream leaves entries of an
 * earlier run, which a reader must not splice onto a later one.
 */
import type { FinishReason } from '../providers/types.js';

export interface ReplyUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  readonly estimated: boolean;
}

export type ReplyEntry =
  | { readonly t: 'd'; readonly r: number; readonly n: number; readonly x: string; readonly m?: string }
  | {
      readonly t: 'end';
      readonly r: number;
      readonly n: number;
      readonly m: string;
      readonly f: FinishReason;
      readonly u: ReplyUsage;
    }
  | { readonly t: 'err'; readonly r: number; readonly n: number; readonly msg: string };

/** The one field of every entry. */
export const REPLY_FIELD = 'e';
/**
 * Entries kept per reply (XADD MAXLEN ~): the writer merges text while a write is in flight, so a
 * reply takes one entry per Redis round trip at most; a reader that fell this far behind sees the
 * gap in `n` and ends the reply with an error rather than skip text.
 */
export const REPLY_MAX_ENTRIES = 10_000;
/** A reply nobody reads (the client left, the front door died) is gone after this long. */
export const REPLY_TTL_SECONDS = 600;

/** Reads one entry as written by ReplySink; undefined for anything else (never throws). */
export function decodeReplyEntry(raw: string): ReplyEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  if (typeof e.r !== 'number' || typeof e.n !== 'number') return undefined;
  if (e.t === 'd' && typeof e.x === 'string') return e as ReplyEntry;
  if (e.t === 'end' && typeof e.m === 'string' && typeof e.u === 'object' && e.u !== null) {
    return e as ReplyEntry;
  }
  if (e.t === 'err' && typeof e.msg === 'string') return e as ReplyEntry;
  return undefined;
}
