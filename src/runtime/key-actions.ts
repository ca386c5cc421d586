/**
 * Operator actions on a key by its name (`key_N`), over the key pool: the admin API, the dashboard
 * and the CLI share this one implementation, so every action writes Redis and Postgres the same way.
 */
import { AikeysError } from '../core/errors.js';
import type { KeyPool } from '../lease/key-pool.js';
import type { Db } from '../store/database.js';
import { findKeyByName } from '../store/keys.js';

export interface KeyActionsImpl {
  block(name: string, options: { seconds?: number; reason?: string }): Promise<void>;
  unblock(name: string): Promise<void>;
  disable(name: string, reason: string): Promise<void>;
  enable(name: string): Promise<void>;
  resetDaily(): Promise<{ keysReset: number }>;
}

export function createKeyActions(deps: {
  db: Db;
  pool: KeyPool;
  defaultBlockSeconds: number;
}): KeyActionsImpl {
  const { db, pool } = deps;

  async function keyId(name: string): Promise<number> {
    const key = await findKeyByName(db, name);
    if (!key) throw new AikeysError('KEY_NOT_FOUND', `No key named ${name}; list them with \`aikeys keys\``);
    return key.keyId;
  }

  async function expectChanged<T>(name: string, change: Promise<T | null>): Promise<void> {
    if ((await change) === null) {
      throw new AikeysError(
        'KEY_NOT_LOADED',
        `Key ${name} is not in the lease state; run \`aikeys import\` first`,
      );
    }
  }

  return {
    async block(name, options) {
      await expectChanged(name, pool.block(await keyId(name), options.seconds ?? deps.defaultBlockSeconds));
    },
    async unblock(name) {
      await expectChanged(name, pool.unblock(await keyId(name)));
    },
    async disable(name, reason) {
      await expectChanged(name, pool.disable(await keyId(name), reason));
    },
    async enable(name) {
      await expectChanged(name, pool.enable(await keyId(name)));
    },
    async resetDaily() {
      return { keysReset: await pool.resetDaily() };
    },
  };
}
