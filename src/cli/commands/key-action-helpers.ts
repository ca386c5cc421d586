/**
 * What the key-action commands (block, unblock, disable, enable, reset-daily) share: a key pool over
 * Postgres and the lease engine's Redis state, the key actions the admin API uses too
 * (lease/key-actions.ts), and the one-line description of the key they answer with.
 *
 * The pool is composed here rather than taken from runtime/container.ts: the container also starts
 * a usage flusher (whose close drains the usage stream as one more consumer), provider clients and
 * the price table, none of which an action needs; a CLI run should touch only what it changes.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { AikeysConfig } from '../../config/types.js';
import { silentLogger } from '../../core/logger.js';
import { keyRingOf } from '../../config/encryption-key.js';
import { LeaseEngine } from '../../lease/engine.js';
import { createKeyActions, type KeyActions } from '../../lease/key-actions.js';
import { createKeyPool, type KeyPool } from '../../lease/key-pool.js';
import { leaseSettingsFromConfig } from '../../lease/settings.js';
import { createCommandConnection } from '../../queues/connections.js';
import { openDatabase, type Db } from '../../store/database.js';
import { loadKeyStateSnapshot } from '../../store/lease-snapshot.js';
import type { KeyView } from '../../store/keys.js';
import { configFor, type CliContext } from '../context.js';

export interface KeyActionSession {
  readonly config: AikeysConfig;
  readonly db: Db;
  readonly pool: KeyPool;
  readonly actions: KeyActions;
}

/** Opens Postgres (created and migrated when needed) and Redis for the length of `use`. */
export async function withKeyActions<T>(
  ctx: CliContext,
  command: Command,
  use: (session: KeyActionSession) => Promise<T>,
): Promise<T> {
  const config = configFor(ctx, command);
  const db = await openDatabase(config.services.databaseUrl, { poolMax: 2 });
  const redis = createCommandConnection(
    config.services.redisUrl,
    {},
    {
      cluster: config.services.redisCluster,
    },
  );
  try {
    const engine = new LeaseEngine({
      redis,
      prefix: config.services.prefix,
      settings: leaseSettingsFromConfig(config),
      loadSnapshot: () => loadKeyStateSnapshot(db, { timeZone: config.system.timeZone }),
      logger: silentLogger,
    });
    const pool = createKeyPool({
      db,
      engine,
      ring: keyRingOf(config.system),
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
