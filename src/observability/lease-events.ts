/**
 * What the lease engine tells about a provider as a whole (its breaker opened, a lease refused
 * because it is paused), for whoever counts it. The key leaser emits; metrics subscribe. A failing
 * listener never fails a lease or a release.
 */
export type LeaseEvent =
  | { readonly kind: 'breaker_opened'; readonly provider: string }
  | { readonly kind: 'provider_paused'; readonly provider: string };

export type LeaseEventListener = (event: LeaseEvent) => void;

export class LeaseEvents {
  readonly #listeners: LeaseEventListener[] = [];

  on(listener: LeaseEventListener): void {
    this.#listeners.push(listener);
  }

  emit(event: LeaseEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // Counting is best effort: the lease or release it describes has already happened.
      }
    }
  }
}
