/**
 * Keeps the usage stream bounded while Postgres cannot take it, without ever trimming it: the
 * records are the accounting, so instead this worker stops taking new jobs while the stream holds
 * more than `maxRecords` (AI_USAGE_BACKLOG_MAX), and takes them again once it has drained to half
 * of that. Jobs already running finish (their records are appended), so the stream can pass the
 * mark by at most the jobs in flight across all replicas.
 *
 * Size: one record is ~180 bytes of Redis memory (measured: a 146-byte entry plus the stream's
 * per-entry overhead), so the default 100,000 records hold about 18 MB; a pending (read, not yet
 * written) record costs a few dozen bytes more in the consumer group.
 *
 * The check is one XLEN (O(1)) per interval per worker, not one per job.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';

/** The part of a BullMQ Worker this uses. */
export interface PausableWorker {
  pause(doNotWaitActive?: boolean): Promise<void>;
  resume(): void;
}

export interface UsageBackpressureOptions {
  redis: Redis;
  streamKey: string;
  /** Above this many records in the stream, the worker pauses (AI_USAGE_BACKLOG_MAX). */
  maxRecords: number;
  worker: PausableWorker;
  logger: Logger;
  /** How often the stream's length is read (default 1000 ms). */
  intervalMs?: number;
}

export class UsageBackpressure {
  #maxRecords: number;
  #resumeBelow: number;
  #paused = false;
  #checking = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: UsageBackpressureOptions) {
    this.#maxRecords = options.maxRecords;
    this.#resumeBelow = Math.floor(options.maxRecords / 2);
  }

  /** A new AI_USAGE_BACKLOG_MAX (reloadable): applies from the next check. */
  setMaxRecords(maxRecords: number): void {
    this.#maxRecords = maxRecords;
    this.#resumeBelow = Math.floor(maxRecords / 2);
  }

  /** True while this worker takes no new jobs because of the usage backlog. */
  get paused(): boolean {
    return this.#paused;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.check(), this.options.intervalMs ?? 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Reads the backlog once and pauses or resumes the worker accordingly. */
  async check(): Promise<void> {
    if (this.#checking) return;
    this.#checking = true;
    try {
      await this.#apply(await this.options.redis.xlen(this.options.streamKey));
    } catch (error) {
      // Redis unreachable: the worker cannot take jobs from it either; look again next time.
      this.options.logger.debug({ err: error }, 'could not read the usage backlog');
    } finally {
      this.#checking = false;
    }
  }

  async #apply(backlog: number): Promise<void> {
    const { worker, logger } = this.options;
    const maxRecords = this.#maxRecords;
    if (!this.#paused && backlog > maxRecords) {
      this.#paused = true;
      logger.warn(
        { backlog, max: maxRecords, resumeBelow: this.#resumeBelow },
        'usage records are not reaching Postgres (backlog above AI_USAGE_BACKLOG_MAX): this worker ' +
          'takes no new jobs until the backlog drains; check that Postgres is reachable',
      );
      await worker.pause(true);
    } else if (this.#paused && backlog <= this.#resumeBelow) {
      this.#paused = false;
      worker.resume();
      logger.info({ backlog, max: maxRecords }, 'usage backlog drained: this worker takes jobs again');
    }
  }
}
