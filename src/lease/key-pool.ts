/**
 * KeyPool: the seed's AIKeysSystem API over the lease engine. Choosing a key is a lease in Redis;
 * the key is decrypted only then, in this process's memory (envelopes are cached, plaintext never).
 * Every state change is written to Postgres too, so the dashboard and a rehydration see it: status
 * changes at once, usage counters through a short write-behind (absolute values, so they converge).
 * A write that fails is retried in the background: after a release, a Postgres outage must not fail
 * a call that already happened.
 */
import type { AikeysConfig } from '../config/types.js';
import { CryptoError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { Secret } from '../core/secret.js';
import { open } from '../crypto/envelope.js';
import type { KeyRing } from '../crypto/key-ring.js';
import { findAccountById, listAccounts, type AccountView } from '../store/accounts.js';
import type { Db } from '../store/database.js';
import { getSystemHealth, type SystemHealth } from '../store/health.js';
import { resetDailyInDb, unblockExpiredInDb, writeKeyCounters, writeKeyState } from '../store/key-state.js';
import { findKeyById, listKeys, loadEncryptedKey, loadEncryptedKeys, type KeyView } from '../store/keys.js';
import type { LeaseEngine } from './engine.js';
import type { HydrateResult } from './hydrate.js';
import type { ReleaseOutcome } from './outcome.js';
import { HeldReleases, isConnectionError, type HeldRelease } from './held-releases.js';
import { undecryptableReason } from './undecryptable.js';
import type { KeyChange, KeyCount, Lease, LeaseRequest, ReleaseAppend, ReleaseResult } from './types.js';
import { NO_MARKS, type UnwrittenMarks } from './unwritten-keys.js';

export interface SelectedKey {
  readonly lease: Lease;
  readonly leaseId: string;
  readonly keyId: number;
  readonly keyName: string;
  readonly accountId: number;
  readonly provider: string;
  /** The leased key's model: the requested one or the fallback. */
  readonly model: string;
  readonly secret: Secret;
}

export type SelectResult =
  | { readonly ok: true; readonly key: SelectedKey }
  | {
      readonly ok: false;
      readonly reason: 'no_key' | 'provider_paused';
      readonly retryAtMs: number | null;
      readonly onlyExcludedCouldServe: boolean;
    };

export interface KeyPoolDeps {
  readonly db: Db;
  readonly engine: LeaseEngine;
  readonly ring: KeyRing;
  /** For getSystemHealth's encryption check. */
  readonly config?: AikeysConfig;
  readonly logger?: Logger;
  /** How long usage counters may wait before they are written to Postgres (default 1000 ms). */
  readonly counterFlushMs?: number;
  /** At close, how long held releases are still tried before the process gives them up (default 5000 ms). */
  readonly heldReleasesExitMs?: number;
  /** First retry of a held release (default 200 ms; doubles to 10 s). */
  readonly heldReleasesRetryMs?: number;
}

export interface KeyPool {
  selectBestKey(
    provider: string,
    model?: string,
    options?: { estimatedTokens?: number; excludeKeyIds?: readonly number[] },
  ): Promise<SelectResult>;
  /**
   * Releases the lease with what the call did; `append` (its usage record) goes in the same step.
   * When Redis cannot be reached the release is held and retried ('held'), never thrown away
   * unless too many are held ('dropped').
   */
  updateKeyUsage(
    lease: Pick<Lease, 'leaseId'>,
    outcome: ReleaseOutcome,
    append?: ReleaseAppend,
  ): Promise<ReleaseResult>;
  blockKey(keyId: number, seconds: number): Promise<KeyChange | null>;
  unblockKey(keyId: number): Promise<KeyChange | null>;
  disableKey(keyId: number, reason: string): Promise<KeyChange | null>;
  enableKey(keyId: number): Promise<KeyChange | null>;
  unblockExpiredKeys(): Promise<number[]>;
  resetDailyCounters(options?: { monthly?: boolean }): Promise<number>;
  getSystemHealth(): Promise<SystemHealth>;
  getAllAccounts(): Promise<AccountView[]>;
  getAccountStats(accountId: number): Promise<AccountView | undefined>;
  getAccountKeys(accountId: number): Promise<KeyView[]>;
  /** Releases held in memory because Redis could not be reached. */
  readonly heldReleases: number;
  /** Rebuilds the Redis state from Postgres (call after an import commits). */
  hydrate(): Promise<HydrateResult>;
  /** Writes pending usage counters to Postgres now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface CachedKey {
  readonly envelope: string;
  readonly keyName: string;
}

export function createKeyPool(deps: KeyPoolDeps): KeyPool {
  const { db, engine, ring } = deps;
  const logger = deps.logger ?? silentLogger;
  const envelopes = new Map<number, CachedKey>();
  // Keys whose counters changed since the last write; the values are read from Redis at flush time.
  const pendingCounters = new Set<number>();
  // Keys whose status change a release could not write to Postgres, while Redis could not take the
  // mark either (engine.unwritten: marks any replica finishes); retried with the counters.
  const pendingStates = new Set<number>();
  let timer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelayMs = 1000;
  let flushing: Promise<void> = Promise.resolve();
  const held = new HeldReleases({
    send: (release) => releaseNow(release),
    logger,
    ...(deps.heldReleasesRetryMs === undefined ? {} : { firstRetryMs: deps.heldReleasesRetryMs }),
  });

  async function loadKey(keyId: number): Promise<CachedKey> {
    const cached = envelopes.get(keyId);
    if (cached) return cached;
    const [envelope, view] = await Promise.all([loadEncryptedKey(db, keyId), findKeyById(db, keyId)]);
    if (envelope === undefined || view === undefined)
      throw new CryptoError('KEY_ROW_MISSING', `Key ${keyId} has no row in ai_api_keys`);
    const entry = { envelope, keyName: view.name };
    envelopes.set(keyId, entry);
    return entry;
  }

  async function decrypt(keyId: number): Promise<{ secret: Secret; keyName: string }> {
    const entry = await loadKey(keyId);
    try {
      return { secret: open(entry.envelope, ring), keyName: entry.keyName };
    } catch (error) {
      // The envelope may have been re-sealed (rotate-encryption-key) since it was cached.
      envelopes.delete(keyId);
      const fresh = await loadKey(keyId);
      if (fresh.envelope === entry.envelope) throw error;
      return { secret: open(fresh.envelope, ring), keyName: fresh.keyName };
    }
  }

  function take(pending: Set<number>): number[] {
    const ids = [...pending];
    pending.clear();
    return ids;
  }

  // Marks in Redis what Postgres did not take, so that any replica writes it, even if this one
  // stops; what Redis cannot take either stays in this process's memory.
  async function leaveUnwritten(stateIds: readonly number[], counterIds: readonly number[]): Promise<void> {
    try {
      await engine.unwritten.mark('states', stateIds);
      await engine.unwritten.mark('counters', counterIds);
    } catch (error) {
      logger.warn({ err: error }, 'marking unwritten key state in Redis failed; kept in this process');
      for (const id of stateIds) pendingStates.add(id);
      for (const id of counterIds) pendingCounters.add(id);
    }
  }

  async function readUnwritten(): Promise<UnwrittenMarks> {
    try {
      return await engine.unwritten.read();
    } catch (error) {
      logger.warn({ err: error }, 'reading unwritten key state marks from Redis failed');
      return NO_MARKS;
    }
  }

  // Takes what is pending when its turn comes, so a flush queued behind a failing one still writes
  // what that one gave back; and what any replica left unwritten (marks in Redis).
  async function writePending(): Promise<void> {
    const counterIds = take(pendingCounters);
    const stateIds = take(pendingStates);
    const marks = await readUnwritten();
    const states = [...new Set([...stateIds, ...marks.states.keys()])];
    const counters = [...new Set([...counterIds, ...marks.counters.keys()])];
    try {
      for (const state of await engine.keyStates(states)) await writeKeyState(db, state);
      await writeKeyCounters(db, await engine.keyStates(counters));
      retryDelayMs = 1000;
    } catch (error) {
      // Values are read from Redis when written, so a retry writes the newest ones; without one, a
      // key that is not used again after an outage would keep stale values in Postgres.
      logger.warn(
        { err: error, keys: states.length + counters.length },
        'writing key state to Postgres failed; will retry',
      );
      await leaveUnwritten(stateIds, counterIds);
      retryTimer ??= setTimeout(() => {
        retryTimer = undefined;
        void flush();
      }, retryDelayMs).unref();
      retryDelayMs = Math.min(retryDelayMs * 2, 30_000);
      return;
    }
    await engine.unwritten.forget(marks).catch((error: unknown) => {
      // Left marked: a later flush writes the same keys again, which is harmless.
      logger.warn({ err: error }, 'forgetting written key state marks in Redis failed');
    });
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    flushing = flushing.then(writePending);
    return flushing;
  }

  function queueCounters(keyId: number): void {
    pendingCounters.add(keyId);
    timer ??= setTimeout(() => void flush(), deps.counterFlushMs ?? 1000).unref();
  }

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
    envelopes.delete(keyId);
    const change = await engine.disable(keyId, reason, 'invalid_key');
    if (change) await takeToPostgres({ keyId, statusChanged: true, key: change.key });
  }

  // A release's change to its key: a status change is written at once, counters with the next flush.
  async function takeToPostgres(count: KeyCount): Promise<void> {
    if (!count.statusChanged) {
      queueCounters(count.keyId);
      return;
    }
    pendingCounters.delete(count.keyId);
    try {
      await writeKeyState(db, count.key);
    } catch (error) {
      // The call is done and Redis holds the change; Postgres catches up with a later flush of
      // this replica or any other (the mark is in Redis).
      logger.warn(
        { err: error, keyId: count.keyId },
        'writing a key status change to Postgres failed; will retry',
      );
      await leaveUnwritten([count.keyId], []);
      void flush();
    }
  }

  async function persist(change: KeyChange | null): Promise<KeyChange | null> {
    if (change) {
      pendingCounters.delete(change.key.keyId);
      await writeKeyState(db, change.key);
    }
    return change;
  }

  return {
    async selectBestKey(provider, model, options = {}) {
      const request: LeaseRequest = {
        provider,
        model,
        estimatedTokens: options.estimatedTokens ?? 0,
        ...(options.excludeKeyIds ? { excludeKeyIds: options.excludeKeyIds } : {}),
      };
      // Each key found undecryptable is disabled before the next lease, so this ends.
      for (;;) {
        const result = await engine.lease(request);
        if (!result.ok) return result;
        const { lease } = result;
        try {
          const { secret, keyName } = await decrypt(lease.keyId);
          return {
            ok: true,
            key: {
              lease,
              leaseId: lease.leaseId,
              keyId: lease.keyId,
              keyName,
              accountId: lease.accountId,
              provider,
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

    async updateKeyUsage(lease, outcome, append) {
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

    blockKey: async (keyId, seconds) => persist(await engine.block(keyId, seconds * 1000)),
    unblockKey: async (keyId) => persist(await engine.unblock(keyId)),
    disableKey: async (keyId, reason) => persist(await engine.disable(keyId, reason, 'manual')),
    enableKey: async (keyId) => persist(await engine.enable(keyId)),

    async unblockExpiredKeys() {
      const ids = await engine.unblockExpired();
      await unblockExpiredInDb(db);
      return ids;
    },

    async resetDailyCounters(options = {}) {
      await flush();
      const count = await engine.resetDaily(options);
      pendingCounters.clear();
      await resetDailyInDb(db);
      return count;
    },

    getSystemHealth: () => getSystemHealth(db, deps.config),
    getAllAccounts: () => listAccounts(db),
    getAccountStats: (accountId) => findAccountById(db, accountId),
    getAccountKeys: async (accountId) =>
      (await listKeys(db, { includeRemoved: true })).filter((k) => k.accountId === accountId),

    async hydrate() {
      await flush();
      envelopes.clear();
      const result = await engine.hydrate();
      // Cached up front so a Postgres outage does not stop keys that were never used yet.
      for (const k of await loadEncryptedKeys(db))
        envelopes.set(k.keyId, { envelope: k.envelope, keyName: k.keyName });
      return result;
    },

    flush,

    async close() {
      const undelivered = await held.deliver(deps.heldReleasesExitMs ?? 5000);
      if (undelivered > 0) {
        logger.error(
          { undelivered },
          'releases held while Redis could not be reached were not delivered before exit: their usage records are lost and their keys miss their tokens',
        );
      }
      await flush();
      if (retryTimer) clearTimeout(retryTimer);
      // What failed is marked in Redis for the next replica; what Redis could not take is only here.
      await leaveUnwritten(take(pendingStates), take(pendingCounters));
      const marks = await readUnwritten();
      if (marks.states.size + marks.counters.size > 0) {
        logger.warn(
          { states: marks.states.size, counters: marks.counters.size },
          'key writes Postgres has not taken yet stay marked in Redis; the next flush of any replica writes them',
        );
      }
      if (pendingStates.size > 0) {
        logger.error(
          { keyIds: [...pendingStates] },
          'key status changes not written to Postgres at shutdown, nor marked in Redis; listings show the old status',
        );
      }
      if (pendingCounters.size > 0) {
        // Redis still holds them; a replica writes them when it next flushes these keys.
        logger.warn({ keys: pendingCounters.size }, 'key usage counters not written to Postgres at shutdown');
      }
    },
  };
}
