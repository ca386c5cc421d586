/**
 * The lease engine: atomic lease/release and the admin operations, each one Lua script on the
 * engine's own Redis connection (no ioredis keyPrefix: key names come from `leaseKeys`). Expected
 * outcomes (no key, provider paused, unknown lease) are returned values. When a script reports that
 * the state is gone (Redis restarted or was flushed) the engine rebuilds it from Postgres and
 * repeats the call once.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { KeyStateSnapshot } from '../store/lease-snapshot.js';
import type { ReleaseOutcome } from './outcome.js';
import {
  decodeLeaseId,
  decodePackedAccount,
  decodePackedCounters,
  decodePackedKey,
  type AccountCounters,
  type KeyCounters,
  type OpenLease,
} from './packed-state.js';
import { createHydrator, type CounterEdit, type HydrateResult, type Hydrator } from './hydrate.js';
import { leaseKeys, type LeaseKeys } from './redis-keys.js';
import { CallBatcher } from './call-batcher.js';
import { capBlockMs } from '../core/block-limits.js';
import { unwrittenKeys, type UnwrittenKeys } from './unwritten-keys.js';
import { decodeKeyChange, decodeList, LeaseStateMissing } from './replies.js';
import { decodeMoment, momentArgs, momentCalls, type MomentItem, type MomentResult } from './moment-call.js';
import {
  createScriptCaller,
  type LeaseScriptName,
  type ScriptCaller,
  type ScriptReply,
} from './script-loader.js';
import type { DisabledKind } from '../store/keys.js';
import type { KeyChange, KeyHotState, Lease, LeaseRequest, LeaseResult } from './types.js';
import type { LeaseSettings, ReleaseAppend, ReleaseResult } from './types.js';

// Two calls in flight let Redis run one batch while this process reads the answer of the other;
// measured with bench/lease.ts (BENCHMARKS.md) against one call of up to 64. Leases and releases
// share the batches (moment-call.ts).
const BATCHING = { maxBatch: 32, maxInFlight: 2, minShare: 8 };

/** Keys per MGET when reading many keys' state: under a millisecond of Redis each (bench/sync-counters.ts). */
export const KEY_READ_CHUNK = 1000;

/** A disable reason is free text; the key state keeps this many characters (lua/includes/reason.lua: clean_reason). */
export const MAX_REASON_LENGTH = 1000;

export interface LeaseEngineDeps {
  /** A connection of the engine's own, without keyPrefix. */
  readonly redis: Redis;
  /** `services.prefix`: a hash tag such as `{aikeys}`. */
  readonly prefix: string;
  readonly settings: LeaseSettings;
  /** The Postgres snapshot hydration builds from (store/lease-snapshot.ts `loadKeyStateSnapshot`). */
  readonly loadSnapshot: () => Promise<KeyStateSnapshot>;
  /** These accounts and all their keys; default: the whole snapshot, filtered. */
  readonly loadAccounts?: (accountIds: readonly number[]) => Promise<KeyStateSnapshot>;
  /** A fixed clock (epoch ms) for tests and the model-based test; default: Redis TIME in each script. */
  readonly clock?: () => number;
  readonly logger?: Logger;
}

export class LeaseEngine {
  readonly keys: LeaseKeys;
  /** Key writes Postgres has not taken yet, kept in Redis for any replica to finish. */
  readonly unwritten: UnwrittenKeys;
  #settings: LeaseSettings;
  readonly #scripts: ScriptCaller;
  readonly #hydrator: Hydrator;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #redis: Redis;
  /** Leases and releases, gathered into calls of lease-release-5.lua. */
  readonly #moments: CallBatcher<MomentItem, MomentResult>;

  constructor(deps: LeaseEngineDeps) {
    this.keys = leaseKeys(deps.prefix);
    this.#redis = deps.redis;
    this.#settings = deps.settings;
    this.#scripts = createScriptCaller(deps.redis);
    this.unwritten = unwrittenKeys(deps.redis, this.keys, this.#scripts);
    this.#now = deps.clock ?? (() => 0);
    this.#logger = deps.logger ?? silentLogger;
    this.#hydrator = createHydrator({
      redis: deps.redis,
      keys: this.keys,
      scripts: this.#scripts,
      settings: () => this.#settings,
      loadSnapshot: deps.loadSnapshot,
      loadAccounts: deps.loadAccounts,
      now: this.#now,
    });
    this.#moments = new CallBatcher((items) => this.#momentBatch(items), BATCHING);
  }

  get settings(): LeaseSettings {
    return this.#settings;
  }

  /** New reloadable settings: scripts get thresholds as arguments, so the next call uses them. */
  updateSettings(changes: Partial<LeaseSettings>): void {
    this.#settings = { ...this.#settings, ...changes };
  }

  /** Builds (or, after an import, merges) the Redis state from Postgres. */
  hydrate(): Promise<HydrateResult> {
    return this.#hydrator.hydrate();
  }

  /** Merges these accounts and their keys from Postgres (operator edits); see Hydrator.refresh. */
  refresh(accountIds: readonly number[], edits: readonly CounterEdit[] = []): Promise<HydrateResult> {
    return this.#hydrator.refresh(accountIds, edits);
  }

  /** Calls a script; if the state is gone, rebuilds it once and calls again. */
  async #run<T>(
    op: LeaseScriptName,
    args: readonly (string | number)[],
    decode: (r: ScriptReply) => T,
    keys: readonly string[] = this.keys.scriptKeys,
  ): Promise<T> {
    const call = async () =>
      decode(await this.#scripts.call(op, keys, [this.keys.base, this.#now(), ...args]));
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof LeaseStateMissing)) throw error;
      this.#logger.warn({ op }, 'lease state missing from Redis; rebuilding it from Postgres');
      await this.#hydrator.recover();
      return call();
    }
  }

  /** Leases a key; concurrent requests share one script call (each served as if alone, in order). */
  lease(request: LeaseRequest): Promise<LeaseResult> {
    return this.#moments.submit({ kind: 'lease', request }) as Promise<LeaseResult>;
  }

  /**
   * Ends the lease with what the call did. `append` (the call's usage record) is added to its stream
   * by the same script, also when the lease had expired: the call happened either way. Concurrent
   * releases share one script call, with the leases asked for at the same moment.
   */
  release(
    lease: Pick<Lease, 'leaseId'>,
    outcome: ReleaseOutcome,
    append?: ReleaseAppend,
  ): Promise<ReleaseResult> {
    const release = {
      leaseId: lease.leaseId,
      outcome,
      entry: append?.entry ?? '',
      stream: append?.stream ?? '',
    };
    return this.#moments.submit({ kind: 'release', release }) as Promise<ReleaseResult>;
  }

  async #momentBatch(items: readonly MomentItem[]): Promise<MomentResult[]> {
    const results: MomentResult[] = new Array(items.length);
    await Promise.all(
      momentCalls(items).map((call) =>
        this.#run(
          'lease-release',
          momentArgs(call, this.#settings),
          (reply) => decodeMoment(call, reply, results),
          // Without a stream the fifth key is never written; leases stands in for it (same hash tag).
          [...this.keys.scriptKeys, call.stream || this.keys.leases],
        ),
      ),
    );
    return results;
  }

  /**
   * Blocks a key for `durationMs` from now (Redis time), at most AI_MAX_BLOCK_SECONDS; an existing
   * later block stands.
   */
  block(keyId: number, durationMs: number): Promise<KeyChange | null> {
    const maxMs = this.#settings.maxBlockSeconds * 1000;
    return this.#run('block', [keyId, capBlockMs(durationMs, maxMs), maxMs], decodeKeyChange);
  }
  unblock(keyId: number): Promise<KeyChange | null> {
    return this.#run('unblock', [keyId], decodeKeyChange);
  }

  /** `reason` is kept to its first MAX_REASON_LENGTH characters. */
  disable(keyId: number, reason: string, kind: DisabledKind = 'manual'): Promise<KeyChange | null> {
    const kept = [...reason].slice(0, MAX_REASON_LENGTH).join('');
    return this.#run('disable', [keyId, kind, kept, this.#settings.keyProbeAfterMs], decodeKeyChange);
  }

  enable(keyId: number): Promise<KeyChange | null> {
    return this.#run('enable', [keyId], decodeKeyChange);
  }
  /** Applies ended blocks, due probes and expired leases now; returns the keys whose block ended. */
  async unblockExpired(): Promise<number[]> {
    return (await this.#run('unblock-expired', [], decodeList)).map(Number);
  }

  /** Current hot state of some keys, read directly (no script: a read needs no atomicity across keys). */
  keyStates(keyIds: readonly number[]): Promise<KeyHotState[]> {
    return this.#readKeys(keyIds, decodePackedKey);
  }

  /** Usage counters of some keys (what a counter sync compares), read as keyStates is. */
  keyCounters(keyIds: readonly number[]): Promise<KeyCounters[]> {
    return this.#readKeys(keyIds, decodePackedCounters);
  }

  // One MGET per KEY_READ_CHUNK keys, one after another: Redis runs each command whole, so a single
  // MGET of a 10,000-key pool would hold it for several ms while every lease waits.
  async #readKeys<T>(keyIds: readonly number[], decode: (keyId: number, packed: Buffer) => T): Promise<T[]> {
    const read: T[] = [];
    for (let from = 0; from < keyIds.length; from += KEY_READ_CHUNK) {
      const ids = keyIds.slice(from, from + KEY_READ_CHUNK);
      const packed = await this.#redis.mgetBuffer(ids.map((id) => this.keys.key(id)));
      packed.forEach((p, i) => {
        if (p !== null) read.push(decode(ids[i]!, p));
      });
    }
    return read;
  }

  /** An account's counters as the lease engine holds them (null: not in Redis). */
  async accountCounters(accountId: number): Promise<AccountCounters | null> {
    const packed = await this.#redis.getBuffer(this.keys.account(accountId));
    return packed === null ? null : decodePackedAccount(accountId, packed);
  }

  /** Leases granted and not yet released or expired-and-reclaimed, oldest expiry first. */
  async openLeases(): Promise<OpenLease[]> {
    const ids = await this.#redis.zrange(this.keys.leases, 0, -1);
    return ids.flatMap((id) => {
      const lease = decodeLeaseId(id);
      if (!lease) return [];
      const { leaseId, keyId, accountId, estimatedTokens, provider, expiresAtMs } = lease;
      return [{ leaseId, keyId, accountId, estimatedTokens, provider, expiresAtMs }];
    });
  }

  /**
   * The daily reset; `monthly` also resets the accounts' spend (a new month begins). With `day`
   * (the day it closes) it runs once per day: null when that day was reset already.
   */
  async resetDaily(options: { monthly?: boolean; day?: string } = {}): Promise<number | null> {
    const args = [options.monthly ? '1' : '0', options.day ?? ''];
    const rest = await this.#run('reset-daily', args, decodeList);
    return rest.length === 0 ? null : Number(rest[0] ?? 0);
  }
}
