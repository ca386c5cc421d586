/**
 * What the admin server is given. Everything is passed in (no globals), so tests build the app on
 * an isolated database and queue, and `npm start` / the demo wire in the real lease engine.
 */
import type { Queue } from 'bullmq';
import type { Knex } from 'knex';
import type { AikeysConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { ProcessProbes } from '../observability/probe-routes.js';

export interface BlockOptions {
  /** How long to block; undefined = the engine's default (`AI_BLOCK_SECONDS`). */
  readonly seconds?: number;
  readonly reason?: string;
}

/**
 * Operator actions on keys, by key name (`key_N`). The server owns no key state: the composition
 * root (src/runtime) wires this to the lease engine's KeyPool, which writes Postgres and Redis. A key that does not exist is
 * reported by the server before the action is called; an implementation may still throw an
 * AikeysError (its `code` and message reach the client).
 */
export interface KeyActions {
  block(name: string, options: BlockOptions): Promise<void>;
  unblock(name: string): Promise<void>;
  disable(name: string, reason: string): Promise<void>;
  enable(name: string): Promise<void>;
  /** Zeroes every key's `used_today` (and reactivates keys exhausted for the day). */
  resetDaily(): Promise<{ keysReset: number }>;
}

export interface AdminAppDeps {
  readonly db: Knex;
  readonly config: AikeysConfig;
  /** BullMQ queues shown in Bull Board and counted in /metrics. */
  readonly queues: readonly Queue[];
  readonly logger: Logger;
  /** When set, every route but the liveness probe and the dashboard shell needs `Bearer <token>`. */
  readonly adminToken?: string;
  /** Absent: the POST routes answer 503 ACTIONS_UNAVAILABLE. */
  readonly actions?: KeyActions;
  /** This process's readiness (`/readyz`) and metrics (merged into `/metrics`); absent: neither. */
  readonly probes?: ProcessProbes;
}
