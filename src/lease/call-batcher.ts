/**
 * Gathers concurrent requests into few calls (group commit). Requests made in one tick go together
 * in one call, sent at the end of that tick; up to `maxInFlight` calls are under way at once and the
 * requests made meanwhile wait for the next free one. One caller alone pays no delay; many callers
 * share round trips and script runs, and a few calls in flight keep Redis busy while this process
 * reads the answers of the previous ones.
 */
export type SendBatch<Item, Result> = (items: readonly Item[]) => Promise<readonly Result[]>;

export interface CallBatcherOptions {
  /** Bounds how long one script may hold Redis. */
  readonly maxBatch?: number;
  readonly maxInFlight?: number;
  /**
   * Requests waiting are shared out over the free calls, but no call takes fewer than this (unless
   * fewer wait): smaller shares would split the callers into ever smaller groups.
   */
  readonly minShare?: number;
}

interface Waiting<Item, Result> {
  readonly item: Item;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}

export class CallBatcher<Item, Result> {
  readonly #send: SendBatch<Item, Result>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #minShare: number;
  #waiting: Waiting<Item, Result>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(send: SendBatch<Item, Result>, options: CallBatcherOptions = {}) {
    this.#send = send;
    this.#maxBatch = options.maxBatch ?? 64;
    this.#maxInFlight = options.maxInFlight ?? 1;
    this.#minShare = options.minShare ?? 1;
  }

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight || this.#waiting.length === 0) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      // The waiting requests are shared out over the free calls, so that Redis runs one while
      // this process reads the answer of another.
      while (this.#inFlight < this.#maxInFlight && this.#waiting.length > 0) {
        const free = this.#maxInFlight - this.#inFlight;
        const share = Math.max(this.#minShare, Math.ceil(this.#waiting.length / free));
        void this.#sendBatch(this.#waiting.splice(0, Math.min(this.#maxBatch, share)));
      }
    });
  }

  async #sendBatch(batch: Waiting<Item, Result>[]): Promise<void> {
    this.#inFlight += 1;
    try {
      const results = await this.#send(batch.map((w) => w.item));
      if (results.length !== batch.length)
        throw new Error(`batch of ${batch.length} answered with ${results.length} results`);
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.#inFlight -= 1;
      this.#schedule();
    }
  }
}
