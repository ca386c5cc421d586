/**
 * Following many streamed replies (src/jobs/reply-stream.ts) with one blocking Redis connection per
 * process: one `XREAD BLOCK` names every reply being relayed, and what it returns is fanned out in
 * memory to each request. One blocking connection per request would cost as many connections as
 * requests in flight (64 in the benchmark, thousands in production).
 *
 * A reply that starts while the XREAD is blocked must be read without waiting for the block to
 * time out: the reader also follows a wake stream of its own, and a new reply adds an entry there
 * (one XADD per blocked round, however many replies start in it). Unlike CLIENT UNBLOCK, this
 * cannot lose the race with the XREAD it is meant to end: an entry added before the XREAD arrives
 * makes it return at once.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { replyStreamKey } from '../lease/redis-keys.js';
import { decodeReplyEntry, REPLY_FIELD, type ReplyEntry } from '../jobs/reply-stream.js';

/** Upper bound on one XREAD's wait; it returns sooner whenever anything arrives or a reply starts. */
const BLOCK_MS = 5_000;
/** Entries read per stream per round. */
const COUNT = 512;
/** A reader whose process died leaves its wake stream for this long. */
const WAKE_TTL_MS = 3_600_000;

export interface ReplySubscription {
  /** The next entry, or `timeout` when none came by `deadlineMs` (epoch ms). */
  next(deadlineMs: number): Promise<ReplyEntry | 'timeout'>;
  /** The next entry if one has been read already (several are written to the client at once). */
  take(): ReplyEntry | undefined;
  /** Stop following; a pending `next` answers `timeout` (the entries stay until their TTL, or `discard`). */
  close(): void;
}

export interface ReplyReader {
  follow(jobId: string): ReplySubscription;
  /** Entries the reply holds now (0 when none was written). */
  length(jobId: string): Promise<number>;
  /** Deletes a reply that has been relayed whole. */
  discard(jobId: string): void;
  /** Replies followed now (tests, metrics). */
  readonly following: number;
  close(): Promise<void>;
}

type XreadReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

class Subscription implements ReplySubscription {
  lastId = '0-0';
  private readonly queue: ReplyEntry[] = [];
  private waiter: ((entry: ReplyEntry | 'timeout') => void) | undefined;
  private deadlineMs = 0;
  // One timer per subscription, not one per entry waited for: set for the first deadline, it is
  // set again for what is left when it fires before a later one (the deadline moves on with each
  // entry), and replaced only when a deadline comes before it.
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;

  constructor(private readonly onClose: () => void) {}

  push(entry: ReplyEntry): void {
    const waiter = this.waiter;
    if (waiter === undefined) {
      this.queue.push(entry);
      return;
    }
    this.waiter = undefined;
    waiter(entry);
  }

  take(): ReplyEntry | undefined {
    return this.queue.shift();
  }

  next(deadlineMs: number): Promise<ReplyEntry | 'timeout'> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.deadlineMs = deadlineMs;
      if (this.timer === undefined || deadlineMs < this.timerAt) this.arm();
    });
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timerAt = this.deadlineMs;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (this.waiter === undefined) return;
        if (Date.now() < this.deadlineMs) return this.arm();
        const waiter = this.waiter;
        this.waiter = undefined;
        waiter('timeout');
      },
      Math.max(0, this.deadlineMs - Date.now()),
    );
  }

  close(): void {
    this.onClose();
    clearTimeout(this.timer);
    this.timer = undefined;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.('timeout');
  }
}

export async function createReplyReader(connection: Redis, prefix: string): Promise<ReplyReader> {
  // XREAD BLOCK holds its connection: a duplicate that is ours to close.
  const blocking = connection.duplicate();
  const wakeKey = replyStreamKey(prefix, `wake:${randomUUID()}`);
  const subs = new Map<string, Subscription>();
  let wakeLastId = '0-0';
  let blocked = false;
  let wakeSent = false;
  let closed = false;
  let idle: (() => void) | undefined;
  let discards: string[] = [];

  function wake(): void {
    if (idle !== undefined) {
      const resume = idle;
      idle = undefined;
      resume();
      return;
    }
    if (!blocked || wakeSent) return;
    wakeSent = true;
    connection
      .pipeline()
      .xadd(wakeKey, 'MAXLEN', 1, '*', 'w', '1')
      .pexpire(wakeKey, WAKE_TTL_MS)
      .exec()
      .catch(() => undefined); // The block still ends within BLOCK_MS.
  }

  function dispatch(reply: XreadReply): void {
    for (const [key, entries] of reply ?? []) {
      const last = entries.at(-1);
      if (last === undefined) continue;
      if (key === wakeKey) {
        wakeLastId = last[0];
        continue;
      }
      const sub = subs.get(key);
      if (sub === undefined) continue;
      sub.lastId = last[0];
      for (const [, fields] of entries) {
        const raw = fields[fields.indexOf(REPLY_FIELD) + 1];
        const entry = raw === undefined ? undefined : decodeReplyEntry(raw);
        if (entry !== undefined) sub.push(entry);
      }
    }
  }

  async function loop(): Promise<void> {
    while (!closed) {
      if (subs.size === 0) {
        await new Promise<void>((resolve) => (idle = resolve));
        continue;
      }
      const keys = [wakeKey, ...subs.keys()];
      const ids = [wakeLastId, ...[...subs.values()].map((s) => s.lastId)];
      blocked = true;
      wakeSent = false;
      try {
        dispatch(
          (await blocking.xread('COUNT', COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', ...keys, ...ids)) as XreadReply,
        );
      } catch {
        // Redis away: the requests' own deadlines answer them; try again shortly.
        if (!closed) await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        blocked = false;
      }
      // The next XREAD waits for the end of the turn: the frames this round released (written in
      // its microtasks) go to their sockets first. A reply that starts meanwhile needs no wake
      // entry (not blocked): the next XREAD names it.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  const running = loop();

  return {
    follow(jobId) {
      const key = replyStreamKey(prefix, jobId);
      const sub = new Subscription(() => {
        if (subs.get(key) === sub) subs.delete(key);
      });
      subs.set(key, sub);
      wake();
      return sub;
    },
    length: (jobId) => connection.xlen(replyStreamKey(prefix, jobId)),
    discard(jobId) {
      // The replies relayed in one turn go in one UNLINK.
      if (discards.length === 0) {
        setImmediate(() => {
          const keys = discards;
          discards = [];
          connection.unlink(...keys).catch(() => undefined); // Their TTL ends them anyway.
        });
      }
      discards.push(replyStreamKey(prefix, jobId));
    },
    get following() {
      return subs.size;
    },
    async close() {
      closed = true;
      idle?.();
      // Requests still relaying end now (their pump sees `timeout`) rather than at their deadline.
      for (const sub of [...subs.values()]) sub.close();
      blocking.disconnect();
      await running;
      await connection.unlink(wakeKey).catch(() => undefined);
    },
  };
}
