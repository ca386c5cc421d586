/**
 * Operator edits in Postgres, applied to the running pool. The edit triggers (migrations/011)
 * NOTIFY with the key and account ids (and the counter values an edit set); this batches what
 * arrives within a few milliseconds (one UPDATE of many rows sends one notification per row) and
 * merges those accounts, with all their keys, from Postgres into Redis in one script call.
 *
 * Why LISTEN/NOTIFY rather than a reconcile loop: a loop that notices an edit within seconds must
 * read every key and account every few seconds on every replica, most of the time to find nothing;
 * a notification costs nothing until an edit happens and arrives in milliseconds. What it cannot do
 * is survive a dropped connection (notifications sent meanwhile are lost), so each reconnect runs
 * the full merge instead (live-updates.ts): the loop's cost is paid only when it buys something.
 */
import { z } from 'zod';
import type { Logger } from '../core/logger.js';
import type { CounterEdit } from '../lease/hydrate.js';
import type { KeyPool } from '../lease/key-pool.js';

export const POOL_EDITS_CHANNEL = 'aikeys_pool_edits';

/** How long notifications are gathered before one refresh (an UPDATE of many rows sends many). */
const BATCH_MS = 20;

const id = z.number().int().positive();
const payloadSchema = z.object({
  k: id.nullable(),
  a: z.array(id).min(1).max(2),
  u: z.number().int().nonnegative().nullable(),
  f: z.number().int().nonnegative().nullable(),
  x: z.string().regex(/^\d{1,20}$/),
});

export interface PoolEdits {
  /** One notification's payload, as the trigger sent it. */
  take(payload: string): void;
  /** Applies what was taken and not applied yet (tests and shutdown wait on it). */
  flush(): Promise<void>;
  /** Notifications taken, refreshes run (each covers a batch), payloads refused. */
  readonly counts: { readonly notifications: number; readonly refreshes: number; readonly refused: number };
}

export function createPoolEdits(deps: {
  readonly pool: Pick<KeyPool, 'refresh'>;
  readonly logger: Logger;
}): PoolEdits {
  const { pool, logger } = deps;
  const accounts = new Set<number>();
  const edits: CounterEdit[] = [];
  const counts = { notifications: 0, refreshes: 0, refused: 0 };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  async function apply(): Promise<void> {
    if (accounts.size === 0) return;
    const ids = [...accounts];
    const taken = edits.splice(0);
    accounts.clear();
    try {
      const result = await pool.refresh(ids, taken);
      counts.refreshes += 1;
      logger.info(
        { accounts: ids, keys: result.keys, counterEdits: taken.length },
        'operator edits in Postgres applied to the pool',
      );
    } catch (error) {
      // Postgres or Redis unreachable: the listener's reconnect (or the next import) merges everything.
      logger.warn({ err: error, accounts: ids }, 'could not apply operator edits to the pool');
    }
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    running = running.then(apply);
    return running;
  }

  return {
    take(payload) {
      counts.notifications += 1;
      let parsed: z.infer<typeof payloadSchema>;
      try {
        parsed = payloadSchema.parse(JSON.parse(payload));
      } catch {
        counts.refused += 1;
        logger.warn(
          { channel: POOL_EDITS_CHANNEL, length: payload.length },
          "pool edit notification refused: not the trigger's shape",
        );
        return;
      }
      for (const a of parsed.a) accounts.add(a);
      if (parsed.k !== null && (parsed.u !== null || parsed.f !== null)) {
        edits.push({
          keyId: parsed.k,
          usedToday: parsed.u,
          failures: parsed.f,
          claim: `${parsed.x}:${parsed.k}`,
        });
      }
      timer ??= setTimeout(() => void flush(), BATCH_MS);
    },
    flush,
    counts,
  };
}
