/**
 * Applies reloadable settings to a running process: the lease engine (breaker, blocks, probes,
 * cooldown, default concurrency cap), the job processor (retries, backoff, no-key wait), the usage
 * flusher and backpressure, and the log retention. Each takes the new value at its next decision;
 * nothing in flight changes. Settings the import applies itself (daily quotas, concurrency caps of
 * keys, account quotas and budgets) reach every replica through the rows.
 */
import type { SystemSettings } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import { LEASE_SETTING_FIELDS, type LeaseSettings } from '../lease/types.js';
import type { CallProviderDeps } from '../jobs/call-provider.js';
import type { LeaseEngine } from '../lease/engine.js';
import type { UsageFlusher } from '../usage/usage-flusher.js';

/** Receives the fields that changed, with the new settings (a backpressure, a maintenance target...). */
export type LiveSettingsListener = (settings: SystemSettings, changed: readonly string[]) => void;

export class LiveSettings {
  #current: SystemSettings;
  readonly #listeners: LiveSettingsListener[] = [];

  constructor(initial: SystemSettings) {
    this.#current = initial;
  }

  get current(): SystemSettings {
    return this.#current;
  }

  onChange(listener: LiveSettingsListener): void {
    this.#listeners.push(listener);
  }

  /** Takes the values that differ; returns the fields that changed. */
  apply(next: Partial<SystemSettings>): string[] {
    const current = this.#current as Record<string, unknown>;
    const changed = Object.entries(next)
      .filter(
        ([field, value]) => value !== undefined && JSON.stringify(current[field]) !== JSON.stringify(value),
      )
      .map(([field]) => field);
    if (changed.length === 0) return [];
    this.#current = {
      ...this.#current,
      ...Object.fromEntries(changed.map((f) => [f, (next as Record<string, unknown>)[f]])),
    };
    for (const listener of this.#listeners) listener(this.#current, changed);
    return changed;
  }
}

/** Wires a container's components to its LiveSettings (once, when the container is built). */
export function followLiveSettings(
  container: {
    readonly live: LiveSettings;
    readonly engine: Pick<LeaseEngine, 'updateSettings'>;
    readonly jobDeps: CallProviderDeps;
    readonly flusher: Pick<UsageFlusher, 'setClaimAfterMs'>;
  },
  logger: Logger,
): void {
  container.live.onChange((s, changed) => {
    const lease = LEASE_SETTING_FIELDS.filter((f) => changed.includes(f));
    if (lease.length > 0) {
      container.engine.updateSettings(
        Object.fromEntries(lease.map((f) => [f, s[f]])) as Partial<LeaseSettings>,
      );
    }
    container.jobDeps.settings = {
      ...container.jobDeps.settings,
      maxRetries: s.maxRetries,
      retryDelayMs: s.retryDelayMs,
      noKeyWaitMs: s.noKeyWaitMs,
    };
    container.flusher.setClaimAfterMs(s.usageClaimAfterMs);
    // Reloadable settings are never secret (config/live-settings.ts): their values can be logged.
    const values = Object.fromEntries(changed.map((f) => [f, (s as Record<string, unknown>)[f]]));
    logger.info({ changed: values }, 'reloadable settings applied');
  });
}
