/**
 * What the admin server is given. Everything is passed in (no globals), so tests build the app on
 * an isolated database and queue, and `npm start` / the demo wire in the real lease engine.
 */
import type { Queue } from 'bullmq';
import type { Knex } from 'knex';
import type { AikeysConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { GatewayPluginOptions } from '../gateway/plugin.js';
import type { KeyActions } from '../lease/key-actions.js';
import type { ProcessProbes } from '../observability/probe-routes.js';
import type { ImportReport } from '../store/import/report.js';

// The server owns no key state: the composition root (src/runtime) passes in the key actions
// (lease/key-actions.ts), which write Postgres and Redis; an AikeysError they throw reaches the
// client with its code and message. Re-exported for the app's users, declared once there.
export type { BlockOptions, KeyActions } from '../lease/key-actions.js';

export interface AdminAppDeps {
  readonly db: Knex;
  readonly config: AikeysConfig;
  /** BullMQ queues shown in Bull Board and counted in /metrics. */
  readonly queues: readonly Queue[];
  readonly logger: Logger;
  /**
   * When set (32 characters or more), every route but the liveness probe and the sign-in form needs
   * `Bearer <token>` or the session cookie the sign-in form gives.
   */
  readonly adminToken?: string;
  /** Absent: the POST routes answer 503 ACTIONS_UNAVAILABLE. */
  readonly actions?: KeyActions;
  /**
   * Re-imports the env file (key secrets read for that import only) and rebuilds the pool: given by
   * the process that imports (`npm start`). Absent: POST /api/import answers 503 ACTIONS_UNAVAILABLE.
   */
  readonly importNow?: () => Promise<ImportReport>;
  /** This process's readiness (`/readyz`) and metrics (merged into `/metrics`); absent: neither. */
  readonly probes?: ProcessProbes;
  /** The front door (`/v1`, client tokens of its own); absent when AIKEYS_GATEWAY_TOKENS is unset. */
  readonly gateway?: GatewayPluginOptions;
}
