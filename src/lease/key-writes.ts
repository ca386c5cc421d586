/**
 * The Postgres side of the key pool: every change of a key's state goes to ai_api_keys, status
 * changes at once, usage counters through a short write-behind (absolute values read from Redis at
 * write time, so they converge). A write that fails is retried in the background and marked in
 * Redis (unwritten-keys.ts), so any replica finishes it: after a release, a Postgres outage must
 * not fail a call that already happened.
 */
import type { Logger } from '../core/logger.js';
import type { Db } from '../store/database.js';
import { readKeyCounters, writeKeyCounters, writeKeyState } from '../store/key-state-writes.js';
import type { LeaseEngine } from './engine.js';
import type { KeyChange, KeyCount } from './types.js';
import { NO_MARKS, type UnwrittenMarks } from './unwritten-keys.js';

export interface KeyWrites {
  /** A release's change to its key: a status change is written at once, counters with the next flush. */
  takeToPostgres(count: KeyCount): Promise<void>;
  /** An admin change: written at once (its error is the caller's). */
  persist(change: KeyChange | null): Promise<KeyChange | null>;
  /** Writes pending usage counters (and anything left unwritten) to Postgres now. */
  flush(): Promise<void>;
  /** Writes the counters of every key whose Postgres row trails Redis; returns how many. */
  syncCounters(): Promise<number>;
  /** Forgets pending counters (the daily reset zeroes them in Postgres itself). */
  forgetCounters(): void;
  /** Final flush; what Postgres did not take stays marked in Redis, and is logged. */
  close(): Promise<void>;
}

export function createKeyWrites(deps: {
  readonly db: Db;
  readonly engine: LeaseEngine;
  readonly logger: Logger;
  /** How long usage counters may wait before they are written (default 1000 ms). */
  readonly counterFlushMs?: number | undefined;
}): KeyWrites {
  const { db, engine, logger } = deps;
  // Keys whose counters changed since the last write; the values are read from Redis at flush time.
  const pendingCounters = new Set<number>();
  // Keys whose status change a release could not write to Postgres, while Redis could not take the
  // mark either (engine.unwritten: marks any replica finishes); retried with the counters.
  const pendingStates = new Set<number>();
  let timer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelayMs = 1000;
  let flushing: Promise<void> = Promise.resolve();

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

  /**
   * Writes the counters of every key whose Postgres row trails Redis. A replica writes its own
   * releases' counters about a second later; one that dies first leaves them only in Redis, and a
   * key no other replica uses again (a fallback key that served one overflow call at start) would
   * keep them out of Postgres for good. Run by each replica's graceful stop and by the periodic
   * unblock-expired task, so they land within its interval. When nothing trails it costs one read of
   * the rows and an MGET per 1,000 keys, of the counters only (bench/sync-counters.ts).
   */
  async function syncCounters(): Promise<number> {
    const inPostgres = await readKeyCounters(db);
    const inRedis = await engine.keyCounters([...inPostgres.keys()]);
    const trailing = inRedis.filter((k) => {
      const row = inPostgres.get(k.keyId);
      return row !== undefined && (row.usedToday !== k.usedToday || row.lastUsedAtMs !== k.lastUsedAtMs);
    });
    await writeKeyCounters(db, trailing);
    return trailing.length;
  }

  return {
    takeToPostgres,
    persist,
    flush,
    syncCounters,
    forgetCounters: () => pendingCounters.clear(),
    async close() {
      await flush();
      await syncCounters().catch((error: unknown) =>
        logger.warn({ err: error }, 'could not bring trailing key counters to Postgres at shutdown'),
      );
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
