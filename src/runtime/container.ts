/**
 * The composition root: builds every collaborator from the validated config, once, and closes them
 * in reverse order. Entry points (workers/*.ts), the demo and the end-to-end tests all use it.
 */
import type { Redis } from 'ioredis';
import type { AikeysConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import { keyRingOf } from '../config/encryption-key.js';
import type { CallProviderDeps } from '../jobs/call-provider.js';
import { createReplyStreams } from '../jobs/reply-sink.js';
import { createNoKeyWaits } from '../jobs/no-key-waits.js';
import { LeaseEngine } from '../lease/engine.js';
import { createKeyPool, type KeyPool } from '../lease/key-pool.js';
import { leaseSettingsFromConfig } from '../lease/settings.js';
import { LeaseEvents } from '../observability/lease-events.js';
import { estimateTokens } from '../pricing/estimate-tokens.js';
import { createPriceTable, type PriceTable } from '../pricing/price-table.js';
import { createProviderRegistry, type ProviderRegistry } from '../providers/registry.js';
import { createBullConnection, createCommandConnection } from '../queues/connections.js';
import { openDatabase, type Db } from '../store/database.js';
import { loadKeyStateSnapshot } from '../store/lease-snapshot.js';
import { UsageFlusher } from '../usage/usage-flusher.js';
import { UsageStream } from '../usage/usage-stream.js';
import { createKeyLeaser } from './key-leaser.js';
import { followLiveSettings, LiveSettings } from './live-settings.js';
import { closeInOrder, type CloseStep } from './shutdown.js';

/**
 * How much longer than AI_NO_KEY_WAIT_MS a job's "first found no key at" mark lives in Redis. The
 * job is delayed until at most its deadline and must still find the mark when it runs again, or it
 * would start counting anew and could wait for a key forever; a delayed job may run late (a busy
 * queue, every worker stopped for a deploy), so the mark outlives the deadline by an hour. The
 * expiry only removes marks of jobs that vanished (removed from the queue) without clearing theirs.
 */
const NO_KEY_MARK_MARGIN_MS = 3_600_000;

export interface Container {
  readonly config: AikeysConfig;
  readonly logger: Logger;
  readonly db: Db;
  /** For BullMQ queues and workers (maxRetriesPerRequest: null). */
  readonly bullConnection: Redis;
  /** The lease engine's and usage stream's own connection (no keyPrefix). */
  readonly commandConnection: Redis;
  readonly engine: LeaseEngine;
  readonly pool: KeyPool;
  readonly providers: ProviderRegistry;
  readonly prices: PriceTable;
  readonly usage: UsageStream;
  readonly flusher: UsageFlusher;
  readonly jobDeps: CallProviderDeps;
  /** Breaker trips and paused-provider refusals seen by this process's leases (for metrics). */
  readonly leaseEvents: LeaseEvents;
  /** The system settings as they are now: reloadable ones change while it runs (live-updates.ts). */
  readonly live: LiveSettings;
  /** Closes what the container opened (usage flushed first). */
  close(): Promise<void>;
}

export async function buildContainer(config: AikeysConfig, logger: Logger): Promise<Container> {
  const { services, system } = config;
  const db = await openDatabase(services.databaseUrl);
  const target = { cluster: services.redisCluster };
  const bullConnection = createBullConnection(services.redisUrl, {}, target);
  const commandConnection = createCommandConnection(services.redisUrl, {}, target);
  // XREADGROUP BLOCK holds its connection: the flusher gets one of its own.
  const flusherConnection = createCommandConnection(services.redisUrl, {}, target);
  const ring = keyRingOf(system);
  const engine = new LeaseEngine({
    redis: commandConnection,
    prefix: services.prefix,
    settings: leaseSettingsFromConfig(config),
    loadSnapshot: () => loadKeyStateSnapshot(db, { timeZone: config.system.timeZone }),
    loadAccounts: (accountIds) => loadKeyStateSnapshot(db, { timeZone: config.system.timeZone, accountIds }),
    logger,
  });
  const pool = createKeyPool({ db, engine, ring, logger });
  const providers = createProviderRegistry(config.providers);
  const prices = createPriceTable({ overridesFile: system.pricesFile, logger });
  const usage = new UsageStream(services.prefix);
  const flusher = new UsageFlusher({
    redis: flusherConnection,
    db,
    prefix: services.prefix,
    logger,
    claimAfterMs: system.usageClaimAfterMs,
  });
  const leaseEvents = new LeaseEvents();
  const jobDeps: CallProviderDeps = {
    leaser: createKeyLeaser({ pool, usage, db, logger, events: leaseEvents }),
    providers,
    prices,
    waits: createNoKeyWaits(
      commandConnection,
      services.prefix,
      () => jobDeps.settings.noKeyWaitMs + NO_KEY_MARK_MARGIN_MS,
    ),
    estimateTokens,
    replies: createReplyStreams(commandConnection, services.prefix),
    settings: {
      defaultProvider: 'openai',
      maxRetries: system.maxRetries,
      retryDelayMs: system.retryDelayMs,
      requestTimeoutMs: system.requestTimeoutMs,
      noKeyWaitMs: system.noKeyWaitMs,
      maxPromptBytes: system.maxPromptBytes,
    },
    logger,
  };
  const live = new LiveSettings(system);
  followLiveSettings({ live, engine, jobDeps, flusher }, logger);
  const steps: CloseStep[] = [
    { name: 'usage flusher', close: () => flusher.stop() },
    { name: 'key pool', close: () => pool.close() },
    { name: 'postgres', close: () => db.destroy() },
    {
      name: 'redis',
      close: async () =>
        [bullConnection, commandConnection, flusherConnection].forEach((c) => c.disconnect()),
    },
  ];
  return {
    config,
    logger,
    db,
    bullConnection,
    commandConnection,
    engine,
    pool,
    providers,
    prices,
    usage,
    flusher,
    jobDeps,
    leaseEvents,
    live,
    close: async () => void (await closeInOrder(steps, logger)),
  };
}
