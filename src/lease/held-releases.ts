/**
 * Releases that could not reach Redis, held in this process's memory and retried with backoff until
 * Redis answers. A release carries the call's usage record to the usage stream and the call's tokens
 * to its key; dropping it would lose both while the provider call did happen.
 *
 * Order: while anything is held, every later release queues behind it (one FIFO for all keys), so
 * releases reach Redis in the order their calls ended. Per key that order matters: a server error
 * then a success must leave the key with no failure (and proven), a success then an invalid-key
 * answer must leave it disabled; releases of different keys would not mind, but one queue keeps
 * the rule simple and costs nothing while Redis is up (the queue is then empty).
 *
 * Exactly once: a release whose connection dropped after Redis ran it is sent again; its lease is
 * then unknown (already released), which counts nothing twice, and its usage record is appended a
 * second time, which the usage writer stores once (one row per job, run and attempt).
 *
 * What a process that dies while holding releases loses: the held releases' usage records (`size`
 * of them, logged while held and at shutdown) and the tokens they would have counted on their
 * keys; their leases expire by themselves, giving back the reservations and slots.
 */
import type { Logger } from '../core/logger.js';
import type { ReleaseOutcome } from './outcome.js';
import type { Lease, ReleaseAppend } from './types.js';

export interface HeldRelease {
  readonly lease: Pick<Lease, 'leaseId'>;
  readonly outcome: ReleaseOutcome;
  readonly append?: ReleaseAppend | undefined;
}

export interface HeldReleasesOptions {
  /** Delivers one release (the pool's own release path); rejects when Redis cannot be reached. */
  readonly send: (release: HeldRelease) => Promise<unknown>;
  readonly logger: Logger;
  /** At most this many held; more are dropped, logged and counted (memory stays bounded). */
  readonly maxHeld?: number;
  readonly firstRetryMs?: number;
  readonly maxRetryMs?: number;
}

export const MAX_HELD_RELEASES = 10_000;

/** Errors that say Redis could not be reached (not that it refused the release). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const code = (error as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND)$/.test(code)
  )
    return true;
  return /Connection is closed|Stream isn't writeable|connect ECONNREFUSED|read ECONNRESET/.test(
    error.message,
  );
}

export class HeldReleases {
  readonly #queue: HeldRelease[] = [];
  readonly #options: Required<Omit<HeldReleasesOptions, 'logger' | 'send'>>;
  readonly #send: HeldReleasesOptions['send'];
  readonly #logger: Logger;
  #dropped = 0;
  #delayMs: number;
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;

  constructor(options: HeldReleasesOptions) {
    this.#send = options.send;
    this.#logger = options.logger;
    this.#options = {
      maxHeld: options.maxHeld ?? MAX_HELD_RELEASES,
      firstRetryMs: options.firstRetryMs ?? 200,
      maxRetryMs: options.maxRetryMs ?? 10_000,
    };
    this.#delayMs = this.#options.firstRetryMs;
  }

  /** Releases held now (each carries one usage record, if its call had one). */
  get size(): number {
    return this.#queue.length;
  }

  /** Releases dropped since start because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Holds a release for delivery; false when the queue is full and it was dropped. */
  hold(release: HeldRelease): boolean {
    if (this.#queue.length >= this.#options.maxHeld) {
      this.#dropped += 1;
      this.#logger.error(
        { leaseId: release.lease.leaseId, held: this.#queue.length, dropped: this.#dropped },
        `a release that could not reach Redis was dropped: ${this.#options.maxHeld} are held already; its usage record is lost`,
      );
      return false;
    }
    this.#queue.push(release);
    if (this.#queue.length === 1) {
      this.#logger.warn({ held: 1 }, 'Redis cannot be reached: releases are held in memory and retried');
    }
    this.#schedule();
    return true;
  }

  #schedule(): void {
    if (this.#timer || this.#draining) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#drain();
    }, this.#delayMs).unref();
  }

  /** Sends held releases in order until the queue is empty or Redis fails again. */
  #drain(): Promise<void> {
    this.#draining ??= (async () => {
      try {
        while (this.#queue.length > 0) {
          const next = this.#queue[0]!;
          try {
            await this.#send(next);
          } catch (error) {
            if (isConnectionError(error)) {
              this.#delayMs = Math.min(this.#delayMs * 2, this.#options.maxRetryMs);
              this.#logger.warn(
                { held: this.#queue.length, retryInMs: this.#delayMs, err: error },
                'Redis still cannot be reached: releases stay held',
              );
              return;
            }
            // Redis answered and refused it: sending it again would not help.
            this.#logger.error(
              { leaseId: next.lease.leaseId, err: error },
              'a held release was refused by Redis; dropped',
            );
          }
          this.#queue.shift();
        }
        this.#delayMs = this.#options.firstRetryMs;
        this.#logger.info('held releases delivered');
      } finally {
        this.#draining = undefined;
        if (this.#queue.length > 0) this.#schedule();
      }
    })();
    return this.#draining;
  }

  /**
   * At shutdown: tries to deliver what is held until `timeoutMs` has passed; returns how many are
   * still held (their usage records are lost with this process).
   */
  async deliver(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length > 0 && Date.now() < deadline) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      await this.#drain();
      if (this.#queue.length > 0)
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.#delayMs, deadline - Date.now())));
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    return this.#queue.length;
  }
}
