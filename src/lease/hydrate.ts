/**
 * Hydration: builds the Redis hot state from a Postgres snapshot with the `hydrate` script (one
 * atomic step, so a lease never sees half a state). Replicas that find the state missing at the same
 * moment elect one hydrator with a short Redis lock; the others wait for the meta key to reappear.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AikeysError } from '../core/errors.js';
import type { KeyStateSnapshot } from '../store/lease-snapshot.js';
import type { LeaseKeys } from './redis-keys.js';
import type { ScriptCaller } from './script-loader.js';
import type { LeaseSettings } from './types.js';

const LOCK_TTL_MS = 30_000;
const WAIT_STEP_MS = 25;

export interface HydrateResult {
  /** True when the state was built from nothing (first start, or Redis had lost it). */
  readonly fresh: boolean;
  readonly keys: number;
}

/**
 * A block end as Postgres has it, but never more than AI_MAX_BLOCK_SECONDS after the row was last
 * written (a block is written when it is set): a row from before the cap existed, or edited by
 * hand, cannot bring back a block of centuries.
 */
function blockUntil(k: KeyStateSnapshot['keys'][number], settings: LeaseSettings): number {
  if (k.blockUntilMs === null) return 0;
  return Math.min(k.blockUntilMs, k.updatedAtMs + settings.maxBlockSeconds * 1000);
}

/** The hydrate script's ARGV after base and now (see lua/hydrate-4.lua for the layout). */
export function hydrateArgs(
  snapshot: KeyStateSnapshot,
  settings: LeaseSettings,
  generation: string,
): string[] {
  const args = [generation, String(snapshot.accounts.length), String(snapshot.keys.length)];
  for (const a of snapshot.accounts) {
    args.push(
      String(a.accountId),
      a.provider,
      String(a.priority),
      a.status,
      String(a.dailyQuota ?? -1),
      String(a.monthlyBudget ?? -1),
      String(a.spentMonthUsd),
    );
  }
  for (const k of snapshot.keys) {
    const cap = k.maxConcurrency ?? settings.keyMaxConcurrency ?? 0;
    // Postgres keeps no probe time: a breaker-disabled key is probed AI_KEY_PROBE_AFTER_MS after it was disabled.
    const probeAt =
      k.status === 'disabled' && k.disabledKind === 'breaker' ? k.updatedAtMs + settings.keyProbeAfterMs : 0;
    args.push(
      String(k.keyId),
      k.provider,
      k.model,
      String(k.accountId),
      String(k.dailyLimit),
      String(cap),
      String(k.usedToday),
      k.status,
      k.disabledKind ?? '',
      k.disabledReason ?? '',
      String(blockUntil(k, settings)),
      String(k.consecutiveFailures),
      String(probeAt),
      String(k.lastUsedAtMs ?? 0),
    );
  }
  return args;
}

/**
 * An operator's edit of a counter Redis is ahead on (used_today, consecutive_failures): the value
 * the edit set, taken by the first replica that claims the edit (null: keep Redis's count).
 */
export interface CounterEdit {
  readonly keyId: number;
  readonly usedToday: number | null;
  readonly failures: number | null;
  /** Names the edit (its transaction and row), the same on every replica that hears of it. */
  readonly claim: string;
}

export interface Hydrator {
  /** Hydrates now (merging into a live state if there is one). */
  hydrate(): Promise<HydrateResult>;
  /**
   * Merges these accounts and all their keys from Postgres into the live state, taking the
   * counter edits' values; does nothing when there is no live state (a lease then rebuilds it).
   */
  refresh(accountIds: readonly number[], edits: readonly CounterEdit[]): Promise<HydrateResult>;
  /** After a script found no state: one replica hydrates, the others wait until it is back. */
  recover(): Promise<void>;
}

export function createHydrator(deps: {
  redis: Redis;
  keys: LeaseKeys;
  scripts: ScriptCaller;
  /** Read at each hydration: reloadable settings change while the process runs. */
  settings: () => LeaseSettings;
  loadSnapshot: () => Promise<KeyStateSnapshot>;
  /** These accounts and all their keys only (loadKeyStateSnapshot's accountIds); default: filtered. */
  loadAccounts?: ((accountIds: readonly number[]) => Promise<KeyStateSnapshot>) | undefined;
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
}): Hydrator {
  const { redis, keys, scripts, settings } = deps;
  const editArgs = (edits: readonly CounterEdit[]): string[] => [
    String(edits.length),
    ...edits.flatMap((e) => [String(e.keyId), String(e.usedToday ?? -1), String(e.failures ?? -1), e.claim]),
  ];
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function hydrate(): Promise<HydrateResult> {
    const snapshot = await deps.loadSnapshot();
    const generation = randomBytes(6).toString('hex');
    const reply = await scripts.call('hydrate', keys.scriptKeys, [
      keys.base,
      deps.now(),
      ...hydrateArgs(snapshot, settings(), generation),
    ]);
    return { fresh: Number(reply[1]) === 1, keys: Number(reply[2]) };
  }

  async function refresh(
    accountIds: readonly number[],
    edits: readonly CounterEdit[],
  ): Promise<HydrateResult> {
    const snapshot = deps.loadAccounts
      ? await deps.loadAccounts(accountIds)
      : onlyAccounts(await deps.loadSnapshot(), accountIds);
    const reply = await scripts.call('hydrate', keys.scriptKeys, [
      keys.base,
      deps.now(),
      ...hydrateArgs(snapshot, settings(), randomBytes(6).toString('hex')),
      ...editArgs(edits),
    ]);
    return { fresh: Number(reply[1]) === 1, keys: Number(reply[2]) };
  }

  async function recover(): Promise<void> {
    const token = randomBytes(8).toString('hex');
    // Counted steps rather than a clock: the wait is bounded by the lock's lifetime either way.
    for (let step = 0; step * WAIT_STEP_MS < LOCK_TTL_MS * 2; step++) {
      if ((await redis.exists(keys.meta)) === 1) return;
      if ((await redis.set(keys.hydrateLock, token, 'PX', LOCK_TTL_MS, 'NX')) === 'OK') {
        try {
          if ((await redis.exists(keys.meta)) === 0) await hydrate();
        } finally {
          // Only our own lock: a slow hydrate must not free a lock another replica now holds.
          if ((await redis.get(keys.hydrateLock)) === token) await redis.del(keys.hydrateLock);
        }
        return;
      }
      await sleep(WAIT_STEP_MS);
    }
    throw new AikeysError(
      'LEASE_HYDRATE_TIMEOUT',
      'The lease state is missing and no replica rebuilt it in time',
      {
        retryable: true,
      },
    );
  }

  return { hydrate, refresh, recover };
}

function onlyAccounts(snapshot: KeyStateSnapshot, ids: readonly number[]): KeyStateSnapshot {
  const wanted = new Set(ids);
  return {
    accounts: snapshot.accounts.filter((a) => wanted.has(a.accountId)),
    keys: snapshot.keys.filter((k) => wanted.has(k.accountId)),
  };
}
