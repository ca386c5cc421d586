/**
 * Operator actions on a key by its name (`key_N`): block, unblock, disable, enable, and the daily
 * reset. The admin API, the dashboard and the CLI all call these, so every action finds the key,
 * writes Redis and Postgres (through the key pool) and recovers a key missing from the lease state
 * the same way, and answers with the key as Postgres then has it.
 */
import { AikeysError } from '../core/errors.js';
import type { Db } from '../store/database.js';
import { findKeyByName, type KeyView } from '../store/keys.js';
import type { KeyPool } from './key-pool.js';
import type { KeyChange } from './types.js';

/** The disabled reason stored when the operator gives none (CLI and API alike). */
export const DEFAULT_DISABLE_REASON = 'disabled by an operator';

export interface BlockOptions {
  /** How long to block; undefined = AI_BLOCK_SECONDS. */
  readonly seconds?: number | undefined;
  /** Why; not stored (Postgres keeps a reason only for disabled keys, and a block ends by itself). */
  readonly reason?: string | undefined;
}

export interface DisableOptions {
  /** Stored as the key's disabled reason; undefined = DEFAULT_DISABLE_REASON. */
  readonly reason?: string | undefined;
}

/** Each action answers with the key as Postgres has it afterwards; an unknown name is KEY_NOT_FOUND. */
export interface KeyActions {
  block(name: string, options?: BlockOptions): Promise<KeyView>;
  unblock(name: string): Promise<KeyView>;
  disable(name: string, options?: DisableOptions): Promise<KeyView>;
  enable(name: string): Promise<KeyView>;
  /** Zeroes every key's `used_today` (and reactivates keys exhausted for the day). */
  resetDaily(): Promise<{ keysReset: number }>;
}

export interface KeyActionsDeps {
  readonly db: Db;
  readonly pool: KeyPool;
  /** AI_BLOCK_SECONDS: a block without `seconds` lasts this long. */
  readonly defaultBlockSeconds: number;
}

/** The key named `name` as Postgres has it; KEY_NOT_FOUND (404 over HTTP) when there is none. */
export async function findKeyOrFail(db: Db, name: string): Promise<KeyView> {
  const key = await findKeyByName(db, name);
  if (!key) {
    throw new AikeysError(
      'KEY_NOT_FOUND',
      `No key named ${name}; list them with \`aikeys keys\` or GET /api/keys`,
    );
  }
  return key;
}

export function createKeyActions(deps: KeyActionsDeps): KeyActions {
  const { db, pool } = deps;

  /**
   * Runs one change on the key. When the Redis state is missing altogether the engine rebuilds it
   * from Postgres by itself; when it exists but lacks this key (imported after the workers had
   * hydrated, and no re-import has run since), the key is merged in with one hydrate and the change
   * tried again. That merge is the one `KeyPool.hydrate` documents for "after an import": status and
   * configuration come from Postgres (which every status change is written to at once), while
   * in-flight counters and leases stay as Redis has them, so running it beside live workers loses
   * nothing they count.
   */
  async function act(name: string, change: (keyId: number) => Promise<KeyChange | null>): Promise<KeyView> {
    const { keyId } = await findKeyOrFail(db, name);
    if ((await change(keyId)) === null) {
      await pool.hydrate();
      if ((await change(keyId)) === null) {
        throw new AikeysError(
          'KEY_NOT_LOADED',
          `Key ${name} is in Postgres but not in the lease state even after rebuilding it; check that Redis is reachable and run \`aikeys import\``,
        );
      }
    }
    return findKeyOrFail(db, name);
  }

  return {
    block: (name, options = {}) =>
      act(name, (keyId) => pool.block(keyId, options.seconds ?? deps.defaultBlockSeconds)),
    unblock: (name) => act(name, (keyId) => pool.unblock(keyId)),
    disable: (name, options = {}) =>
      act(name, (keyId) => pool.disable(keyId, options.reason ?? DEFAULT_DISABLE_REASON)),
    enable: (name) => act(name, (keyId) => pool.enable(keyId)),
    async resetDaily() {
      return { keysReset: await pool.resetDaily() };
    },
  };
}
