/**
 * KeyPool: the one API workers, the CLI and the admin server use to choose, report on and manage
 * keys, over the lease engine. Choosing a key is a lease in Redis; the key is decrypted only then,
 * in this process's memory, bound to what the lease is for (key-opener.ts).
 * Every state change is written to Postgres too (key-writes.ts), so the dashboard and a rehydration
 * see it. A release that cannot reach Redis is held and delivered later (held-releases.ts).
 */
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { KeyRing } from '../crypto/key-ring.js';
import type { Db } from '../store/database.js';
import { closeDayInDb, isDayClosed, type CloseDayResult } from '../store/daily-history.js';
import { resetDailyInDb, unblockExpiredInDb } from '../store/key-state-writes.js';
import type { LeaseEngine } from './engine.js';
import type { CounterEdit, HydrateResult } from './hydrate.js';
import type { ReleaseOutcome } from './outcome.js';
import { HeldReleases, isConnectionError, type HeldRelease } from './held-releases.js';
import { createKeyOpener } from './key-opener.js';
import { undecryptableReason } from './undecryptable.js';
import { createKeyWrites } from './key-writes.js';
import type { KeyChange, Lease, LeaseAnswer, LeaseRequest, ReleaseAppend, ReleaseResult } from './types.js';

export interface KeyPoolDeps {
  readonly db: Db;
  readonly engine: LeaseEngine;
  readonly ring: KeyRing;
  readonly logger?: Logger;
  /** How long usage counters may wait before they are written to Postgres (default 1000 ms). */
  readonly counterFlushMs?: number;
  /** At close, how long held releases are still tried before the process gives them up (default 5000 ms). */
  readonly heldReleasesExitMs?: number;
  /** First retry of a held release (default 200 ms; doubles to 10 s). */
  readonly heldReleasesRetryMs?: number;
}

export interface KeyPool {
  /** Leases the best key for the request and decrypts it (in this process only). */
  lease(request: LeaseRequest): Promise<LeaseAnswer>;
  /**
   * Releases the lease with what the call did; `append` (its usage record) goes in the same step.
   * When Redis cannot be reached the release is held and retried ('held'), never thrown away
   * unless too many are held ('dropped').
   */
  release(
    lease: Pick<Lease, 'leaseId'>,
    outcome: ReleaseOutcome,
    append?: ReleaseAppend,
  ): Promise<ReleaseResult>;
  block(keyId: number, seconds: number): Promise<KeyChange | null>;
  unblock(keyId: number): Promise<KeyChange | null>;
  disable(keyId: number, reason: string): Promise<KeyChange | null>;
  enable(keyId: number): Promise<KeyChange | null>;
  unblockExpired(): Promise<number[]>;
  /** An operator's reset: zeroes the daily counters now, whatever was reset before. */
  resetDaily(options?: { monthly?: boolean }): Promise<number>;
  /**
   * The scheduled reset that closes `day` (a calendar day in `timeZone`): rolls it up, then zeroes
   * the counters, once per day however often or on however many replicas it runs.
   */
  resetDay(day: string, options: { monthly: boolean; timeZone: string }): Promise<DayReset>;
  /** Releases held in memory because Redis could not be reached. */
  readonly heldReleases: number;
  /** Rebuilds the Redis state from Postgres (call after an import commits). */
  hydrate(): Promise<HydrateResult>;
  /** Merges these accounts and all their keys from Postgres (operator edits: runtime/pool-edits.ts). */
  refresh(accountIds: readonly number[], edits: readonly CounterEdit[]): Promise<HydrateResult>;
  /** Writes pending usage counters to Postgres now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface DayReset extends CloseDayResult {
  /** Keys whose counters this run zeroed in Redis (0 when the day was reset there already). */
  readonly keysReset: number;
}

export function createKeyPool(deps: KeyPoolDeps): KeyPool {
  const { db, engine, ring } = deps;
  const logger = deps.logger ?? silentLogger;
  const opener = createKeyOpener(db, ring);
  const writes = createKeyWrites({ db, engine, logger, counterFlushMs: deps.counterFlushMs });
  const { takeToPostgres, persist, flush } = writes;
  const held = new HeldReleases({
    send: (release) => releaseNow(release),
    logger,
    ...(deps.heldReleasesRetryMs === undefined ? {} : { firstRetryMs: deps.heldReleasesRetryMs }),
  });

  async function releaseNow({ lease, outcome, append }: HeldRelease): Promise<ReleaseResult> {
    const result = await engine.release(lease, outcome, append);
    if (!result.released) {
      if (result.reason === 'expired' && result.counted) {
        logger.warn(
          { leaseId: lease.leaseId, keyId: result.counted.keyId },
          'released a lease that had expired; its tokens were still counted on the key',
        );
        await takeToPostgres(result.counted);
      } else {
        logger.warn(
          { leaseId: lease.leaseId, reason: result.reason },
          'released a lease that had expired or was unknown; nothing counted',
        );
      }
      return result;
    }
    await takeToPostgres(result);
    if (result.providerEvent)
      logger.warn({ leaseId: lease.leaseId, event: result.providerEvent }, 'provider breaker changed state');
    return result;
  }

  function holdRelease(release: HeldRelease): ReleaseResult {
    return held.hold(release) ? { released: false, reason: 'held' } : { released: false, reason: 'dropped' };
  }

  // Disabled before its lease is released, so no other lease can choose it meanwhile.
  async function disableUndecryptable(keyId: number, reason: string): Promise<void> {
    logger.error({ keyId, reason }, 'a stored key cannot be decrypted; disabled');
    opener.forget(keyId);
    const change = await engine.disable(keyId, reason, 'invalid_key');
    if (change) await takeToPostgres({ keyId, statusChanged: true, key: change.key });
  }

  return {
    async lease(request) {
      // Each key found undecryptable is disabled before the next lease, so this ends.
      for (;;) {
        const result = await engine.lease(request);
        if (!result.ok) return result;
        const { lease } = result;
        try {
          const target = { keyId: lease.keyId, accountId: lease.accountId, provider: request.provider };
          const { secret, keyName } = await opener.open(target);
          return {
            ok: true,
            key: {
              lease,
              leaseId: lease.leaseId,
              keyId: lease.keyId,
              keyName,
              accountId: lease.accountId,
              provider: request.provider,
              model: lease.model,
              secret,
            },
          };
        } catch (error) {
          const reason = undecryptableReason(error);
          if (reason !== null) await disableUndecryptable(lease.keyId, reason);
          // A key we cannot open must not hold capacity until its TTL; no call was made with it.
          await engine.release(lease, { kind: 'request_error', status: 0 });
          if (reason === null) throw error;
        }
      }
    },

    async release(lease, outcome, append) {
      // Behind releases already held, to keep their order (held-releases.ts).
      if (held.size > 0) return holdRelease({ lease, outcome, append });
      try {
        return await releaseNow({ lease, outcome, append });
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        return holdRelease({ lease, outcome, append });
      }
    },

    get heldReleases() {
      return held.size;
    },

    block: async (keyId, seconds) => persist(await engine.block(keyId, seconds * 1000)),
    unblock: async (keyId) => persist(await engine.unblock(keyId)),
    disable: async (keyId, reason) => persist(await engine.disable(keyId, reason, 'manual')),
    enable: async (keyId) => persist(await engine.enable(keyId)),

    async unblockExpired() {
      const ids = await engine.unblockExpired();
      await unblockExpiredInDb(db);
      // Counters a replica that died could not write yet (key-writes.ts syncCounters).
      await writes.syncCounters();
      return ids;
    },

    async resetDaily(options = {}) {
      await flush();
      const count = await engine.resetDaily(options);
      writes.forgetCounters();
      await resetDailyInDb(db);
      return count ?? 0;
    },

    async resetDay(day, { monthly, timeZone }) {
      // Closed in Postgres means done everywhere: Redis is reset first, so a run that stopped
      // between the two finds the Redis reset done (its marker) and only closes the day here.
      if (await isDayClosed(db, day))
        return { keysReset: 0, closed: false, keysRolledUp: 0, missedDaysClosed: [] };
      await flush();
      const keysReset = await engine.resetDaily({ monthly, day });
      writes.forgetCounters();
      const closed = await closeDayInDb(db, day, timeZone);
      return { keysReset: keysReset ?? 0, ...closed };
    },

    async hydrate() {
      await flush();
      opener.clear();
      const result = await engine.hydrate();
      await opener.reload();
      return result;
    },

    refresh: (accountIds, edits) => engine.refresh(accountIds, edits),

    flush,

    async close() {
      const undelivered = await held.deliver(deps.heldReleasesExitMs ?? 5000);
      if (undelivered > 0) {
        logger.error(
          { undelivered },
          'releases held while Redis could not be reached were not delivered before exit: their usage records are lost and their keys miss their tokens',
        );
      }
      await writes.close();
    },
  };
}
