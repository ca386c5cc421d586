/**
 * What the key-action commands (block, unblock, disable, enable, reset-daily) share: a key pool over
 * Postgres and the lease engine's Redis state, the action implementation the admin API uses
 * (runtime/key-actions.ts), and the key's status read back from Postgres for the one-line answer.
 *
 * The pool is composed here rather than taken from runtime/container.ts: the container also starts
 * a usage flusher (whose close drains the usage stream as one more consumer), provider clients and
 * the price table, none of which an action needs; a CLI run should touch only what it changes.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { AikeysConfig } from '../../config/types.js';
import { AikeysError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { keyRingOf } from '../../config/encryption-key.js';
import { LeaseEngine } from '../../lease/engine.js';
import { createKeyPool, type KeyPool } from '../../lease/key-pool.js';
import { leaseSettingsFromConfig } from '../../lease/settings.js';
import { createCommandConnection } from '../../queues/connections.js';
import { createKeyActions, type KeyActionsImpl } from '../../runtime/key-actions.js';
import { openDatabase, type Db } from '../../store/database.js';
import { loadKeyStateSnapshot } from '../../store/key-rows.js';
import { findKeyByName, type KeyView } from '../../store/keys.js';
import { configFor, type CliContext } from '../context.js';

export interface KeyActionSession {
  readonly config: AikeysConfig;
  readonly db: Db;
  readonly pool: KeyPool;
  readonly actions: KeyActionsImpl;
}

/** Opens Postgres (created and migrated when needed) and Redis for the length of `use`. */
export async function withKeyActions<T>(
  ctx: CliContext,
  command: Command,
  use: (session: KeyActionSession) => Promise<T>,
): Promise<T> {
  const config = configFor(ctx, command);
  const db = await openDatabase(config.services.databaseUrl, { poolMax: 2 });
  const redis = createCommandConnection(config.services.redisUrl);
  try {
    const engine = new LeaseEngine({
      redis,
      prefix: config.services.prefix,
      settings: leaseSettingsFromConfig(config),
      loadSnapshot: () => loadKeyStateSnapshot(db),
      logger: silentLogger,
    });
    const pool = createKeyPool({
      db,
      engine,
      ring: keyRingOf(config.system),
      config,
      logger: silentLogger,
    });
    const actions = createKeyActions({ db, pool, defaultBlockSeconds: config.system.blockSeconds });
    try {
      return await use({ config, db, pool, actions });
    } finally {
      await pool.close();
    }
  } finally {
    redis.disconnect();
    await db.destroy();
  }
}

/**
 * Runs one action on a key. When the Redis state is missing altogether, the engine rebuilds it from
 * Postgres by itself. When the state exists but lacks this key (imported after the workers had
 * hydrated), the key is merged in with one hydrate and the action is tried again. The merge is the
 * one `KeyPool.hydrate` documents for "after an import": status and configuration come from
 * Postgres (which every status change is written to at once), while in-flight counters and leases
 * stay as Redis has them, so running it beside live workers loses nothing they count.
 */
export async function applyKeyAction(session: KeyActionSession, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof AikeysError) || error.code !== 'KEY_NOT_LOADED') throw error;
    await session.pool.hydrate();
    await action();
  }
}

/** The key as Postgres now has it; the action has just found it, so it is there. */
export async function keyAfterAction(db: Db, name: string): Promise<KeyView> {
  const key = await findKeyByName(db, name);
  if (!key) throw new AikeysError('KEY_NOT_FOUND', `No key named ${name}; list them with \`aikeys keys\``);
  return key;
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `status temporarily_blocked until 2025-01-01T00:05:00Z`, `status disabled (reason)`, `status active`. */
export function describeStatus(key: KeyView): string {
  if (key.status === 'temporarily_blocked' && key.temporaryBlockUntil !== null) {
    return `status ${key.status} until ${isoSeconds(key.temporaryBlockUntil)}`;
  }
  if (key.status === 'disabled' && key.disabledReason !== null) {
    return `status ${key.status} (${key.disabledReason})`;
  }
  return `status ${key.status}`;
}

/** Commander argument parser for whole positive numbers (block --seconds); commander names the option. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError('must be a whole number above 0.');
  }
  return n;
}
