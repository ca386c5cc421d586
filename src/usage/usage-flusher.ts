/**
 * Moves usage records from the Redis stream to Postgres in batches, as one member of a consumer
 * group, so several worker replicas share the work and a dead one's records are claimed by the others.
 * A record is acknowledged only after Postgres committed it; while Postgres is down records wait in
 * the stream (delayed, never lost), and replays are harmless (see writeUsageBatch).
 *
 * Nothing a record carries can stop the loop: an entry that cannot be decoded, or a row Postgres
 * refuses (a data error, SQLSTATE class 22/23), is set aside in `ai_usage_rejects` with the reason
 * and acknowledged, and the rest of its batch is written row by row. A stream or consumer group
 * that vanished (Redis lost its data) is created again and the loop goes on.
 *
 * Under load the loop writes at most one batch per `minFlushIntervalMs`: a batch has a fixed cost
 * (an INSERT statement and its commit, five Redis round trips), so a few batches of a few hundred
 * rows cost Postgres and this process less per job than many batches of twenty. The first record
 * after a quiet spell is written at once.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import type { Db } from '../store/database.js';
import { isRecordsFault, writeUsageBatch } from '../store/request-logs.js';
import { writeUsageReject } from '../store/usage-rejects.js';
import type { UsageRecord } from '../store/request-logs.js';
import { decodeUsageRecord } from './usage-record.js';
import { USAGE_GROUP, usageStreamKey } from './usage-stream.js';
import { lastDelivered, trimPoint, type PendingSummary } from './usage-trim.js';

export interface UsageFlusherOptions {
  redis: Redis;
  db: Db;
  prefix: string;
  logger: Logger;
  batchSize?: number;
  /** Records pending this long at a consumer that stopped acknowledging are claimed by another. */
  claimAfterMs?: number;
  /** Least time between the starts of two batch writes while records keep coming (default 250). */
  minFlushIntervalMs?: number;
}

type StreamEntries = [id: string, fields: string[]][];

/** A decoded stream entry, with what a reject row needs. */
interface Decoded {
  readonly id: string;
  readonly text: string;
  readonly record: UsageRecord;
}

/** What Redis answers a read of a stream or group that no longer exists (FLUSHALL, DEL, a restart without persistence). */
function isLostStream(error: unknown): boolean {
  const message = String((error as Error | null)?.message ?? error);
  return message.includes('NOGROUP') || message.includes('no longer exists');
}

export class UsageFlusher {
  readonly consumer = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #key: string;
  readonly #batchSize: number;
  #claimAfterMs: number;
  readonly #minFlushIntervalMs: number;
  #groupReady = false;
  #running = false;
  #loop: Promise<void> | undefined;
  #failures = 0;
  #rejected = 0;
  /** Ends the loop's current pause early (stop() calls it). */
  #wake: (() => void) | undefined;

  constructor(private readonly options: UsageFlusherOptions) {
    this.#key = usageStreamKey(options.prefix);
    this.#batchSize = options.batchSize ?? 500;
    this.#claimAfterMs = options.claimAfterMs ?? 30_000;
    this.#minFlushIntervalMs = options.minFlushIntervalMs ?? 250;
  }

  /** Entries this flusher set aside in ai_usage_rejects since it started. */
  /** A new AI_USAGE_CLAIM_AFTER_MS (reloadable): the next claim uses it. */
  setClaimAfterMs(ms: number): void {
    this.#claimAfterMs = ms;
  }

  get rejected(): number {
    return this.#rejected;
  }

  async #ensureGroup(): Promise<void> {
    if (this.#groupReady) return;
    try {
      await this.options.redis.xgroup('CREATE', this.#key, USAGE_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
    this.#groupReady = true;
  }

  /** Own pending records first (a write that failed earlier), then records claimed from dead consumers, then new ones. */
  async #nextBatch(blockMs: number): Promise<StreamEntries> {
    const { redis } = this.options;
    const own = (await redis.xreadgroup(
      'GROUP',
      USAGE_GROUP,
      this.consumer,
      'COUNT',
      this.#batchSize,
      'STREAMS',
      this.#key,
      '0',
    )) as [string, StreamEntries][] | null;
    const pending = own?.[0]?.[1] ?? [];
    if (pending.length) return pending;
    const claimed = (await redis.xautoclaim(
      this.#key,
      USAGE_GROUP,
      this.consumer,
      this.#claimAfterMs,
      '0-0',
      'COUNT',
      this.#batchSize,
    )) as [string, StreamEntries, string[]?];
    if (claimed[1].length) return claimed[1];
    const args: (string | number)[] = ['GROUP', USAGE_GROUP, this.consumer, 'COUNT', this.#batchSize];
    if (blockMs > 0) args.push('BLOCK', blockMs);
    const fresh = (await (redis.xreadgroup as (...a: unknown[]) => Promise<unknown>)(
      ...args,
      'STREAMS',
      this.#key,
      '>',
    )) as [string, StreamEntries][] | null;
    return fresh?.[0]?.[1] ?? [];
  }

  async #reject(id: string, raw: string, error: unknown): Promise<void> {
    const code = (error as { code?: unknown } | null)?.code;
    const sqlstate = typeof code === 'string' ? code : null;
    const message = error instanceof Error ? error.message : String(error);
    await writeUsageReject(this.options.db, { raw, error: message, sqlstate, streamId: id });
    this.#rejected += 1;
    this.options.logger.error(
      { streamId: id, sqlstate, err: error },
      'usage record set aside in ai_usage_rejects; fix and replay it from there',
    );
  }

  /** Decodes the entries; one that cannot be decoded never will be, so it is set aside at once. */
  async #decode(entries: StreamEntries): Promise<Decoded[]> {
    const decoded: Decoded[] = [];
    for (const [id, fields] of entries) {
      const index = fields.indexOf('r');
      const text = index >= 0 ? fields[index + 1] : undefined;
      try {
        if (text === undefined) throw new Error(`stream entry has no 'r' field (fields: ${fields.length})`);
        decoded.push({ id, text, record: decodeUsageRecord(text) });
      } catch (error) {
        await this.#reject(id, text ?? JSON.stringify(fields), error);
      }
    }
    return decoded;
  }

  /**
   * Writes the batch in one statement; when Postgres refuses it for its data, row by row, setting
   * aside each row it still refuses. An outage (any other error) passes: the batch stays pending and
   * is read again, and rows already written are skipped then (same call id).
   */
  async #write(batch: readonly Decoded[]): Promise<void> {
    const { db } = this.options;
    try {
      const records = batch.map((d) => d.record);
      await writeUsageBatch(db, records);
      return;
    } catch (error) {
      if (!isRecordsFault(error)) throw error;
    }
    for (const entry of batch) {
      try {
        await writeUsageBatch(db, [entry.record]);
      } catch (error) {
        if (!isRecordsFault(error)) throw error;
        await this.#reject(entry.id, entry.text, error);
      }
    }
  }

  /** The next batch; a vanished stream or group is created again (MKSTREAM) and read once more. */
  async #read(blockMs: number): Promise<StreamEntries> {
    try {
      return await this.#nextBatch(blockMs);
    } catch (error) {
      if (!isLostStream(error)) throw error;
      this.options.logger.warn(
        { stream: this.#key, err: error },
        'usage stream or its consumer group is gone (Redis lost its data?); creating it again',
      );
      this.#groupReady = false;
      await this.#ensureGroup();
      return this.#nextBatch(0);
    }
  }

  /** Writes one batch; returns how many stream entries it settled (0 = nothing to do). */
  async flushOnce(blockMs = 0): Promise<number> {
    await this.#ensureGroup();
    const entries = await this.#read(blockMs);
    if (entries.length === 0) return 0;
    await this.#write(await this.#decode(entries));
    const ids = entries.map(([id]) => id);
    // Acknowledged records leave the stream by trimming below the oldest one still pending (see
    // usage-trim.ts), which drops whole stream nodes at once where XDEL edits one entry at a time.
    const replies = await this.options.redis
      .multi()
      .xack(this.#key, USAGE_GROUP, ...ids)
      .xpending(this.#key, USAGE_GROUP)
      .xinfo('GROUPS', this.#key)
      .exec();
    const [, pending] = replies?.[1] ?? [];
    const [, groups] = replies?.[2] ?? [];
    const point =
      pending && groups
        ? trimPoint(pending as PendingSummary, lastDelivered(groups as unknown[][], USAGE_GROUP))
        : undefined;
    if (point !== undefined) await this.options.redis.xtrim(this.#key, 'MINID', point);
    return ids.length;
  }

  /** Flushes until the stream has nothing this consumer can take. */
  async drain(): Promise<number> {
    let total = 0;
    for (let n = await this.flushOnce(); n > 0; n = await this.flushOnce()) total += n;
    return total;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const startedAt = Date.now();
      try {
        const settled = await this.flushOnce(1000);
        if (this.#failures > 0) this.options.logger.info('usage writes resumed');
        this.#failures = 0;
        // A full batch means a backlog: write the next one at once.
        if (settled > 0 && settled < this.#batchSize) {
          await this.#pause(this.#minFlushIntervalMs - (Date.now() - startedAt));
        }
      } catch (error) {
        this.#failures += 1;
        const backoffMs = Math.min(5000, 100 * 2 ** Math.min(this.#failures, 6));
        this.options.logger.warn(
          { err: error, backoffMs, failures: this.#failures },
          'usage write failed; records stay queued in Redis and will be retried',
        );
        await this.#pause(backoffMs);
      }
    }
  }

  /** Waits `ms` unless stop() comes first. */
  #pause(ms: number): Promise<void> {
    if (ms <= 0 || !this.#running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#wake?.(), ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  /** Stops the loop, then writes what is left (best effort: what cannot be written stays in the stream). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    try {
      await this.drain();
    } catch (error) {
      this.options.logger.warn(
        { err: error },
        'usage left in Redis at shutdown; another worker will write it',
      );
    }
  }
}
