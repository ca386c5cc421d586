/**
 * Gathers concurrent requests into one call (group commit). A request made while no call is under
 * way is sent at the end of the current tick, with whatever else was asked in that tick; requests
 * made while a call is under way wait for it and go together in the next one. One caller alone
 * pays no delay; many callers share one round trip and one script run.
 */
export type SendBatch<Item, Result> = (items: readonly Item[]) => Promise<readonly Result[]>;

interface Waiting<Item, Result> {
  readonly item: Item;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}

export class CallBatcher<Item, Result> {
  readonly #send: SendBatch<Item, Result>;
  readonly #maxBatch: number;
  #waiting: Waiting<Item, Result>[] = [];
  #busy = false;

  /** `maxBatch` bounds how long one script may hold Redis. */
  constructor(send: SendBatch<Item, Result>, maxBatch = 64) {
    this.#send = send;
    this.#maxBatch = maxBatch;
  }

  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (!this.#busy) {
        this.#busy = true;
        queueMicrotask(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      try {
        const results = await this.#send(batch.map((w) => w.item));
        if (results.length !== batch.length)
          throw new Error(`batch of ${batch.length} answered with ${results.length} results`);
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.#busy = false;
  }
}
