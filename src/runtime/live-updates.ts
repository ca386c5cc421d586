/**
 * What reaches a running replica without a restart, over one dedicated Postgres connection that
 * LISTENs on two channels: operator edits of keys and accounts (pool-edits.ts), and the reloadable
 * settings the last import published (config/published-settings.ts). On every reconnect, since
 * notifications sent while it was down are lost, it merges the whole pool from Postgres again and
 * re-reads the settings. A setting this process's own environment sets is kept: the environment
 * overrides the env file, in every process.
 */
import { LIVE_SETTINGS, readPublishedSettings } from '../config/published-settings.js';
import { processEnv, type Env } from '../config/load-config.js';
import type { SystemSettings } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import { CONFIG_CHANNEL, readPublishedSettingsRow } from '../store/config-status.js';
import { startPgListener, type PgListener } from '../store/pg-listener.js';
import type { Container } from './container.js';
import { createPoolEdits, POOL_EDITS_CHANNEL, type PoolEdits } from './pool-edits.js';
import type { CloseStep } from './shutdown.js';

export interface LiveUpdates {
  readonly poolEdits: PoolEdits;
  readonly listener: PgListener;
  /** Times the published settings were read (start, each notification, each reconnect). */
  readonly settingsReads: number;
  /** Reads the published settings now and applies what changed (also what a notification does). */
  applyPublishedSettings(): Promise<string[]>;
  readonly closeStep: CloseStep;
}

export function startLiveUpdates(
  container: Pick<Container, 'db' | 'pool' | 'live' | 'config'>,
  options: { readonly logger: Logger; readonly env?: Env; readonly firstRetryMs?: number },
): LiveUpdates {
  const { db, pool, live } = container;
  const { logger } = options;
  const env = options.env ?? processEnv();
  const ownSettings = new Set(
    LIVE_SETTINGS.filter((d) => (env[d.name] ?? '').trim() !== '').map((d) => d.name),
  );
  const poolEdits = createPoolEdits({ pool, logger });
  let settingsReads = 0;

  async function applyPublishedSettings(): Promise<string[]> {
    settingsReads += 1;
    const raw = await readPublishedSettingsRow(db);
    if (raw === null) return [];
    const { settings, problems } = readPublishedSettings(raw, 'ai_config_status.settings');
    for (const p of problems)
      logger.warn({ name: p.name, problem: p.message }, 'published setting refused; the running value stays');
    const fields = new Set(LIVE_SETTINGS.filter((d) => !ownSettings.has(d.name)).map((d) => d.field));
    const taken = Object.fromEntries(Object.entries(settings).filter(([field]) => fields.has(field)));
    return live.apply(taken as Partial<SystemSettings>);
  }

  let connects = 0;
  const listener = startPgListener({
    databaseUrl: container.config.services.databaseUrl,
    channels: [POOL_EDITS_CHANNEL, CONFIG_CHANNEL],
    logger,
    ...(options.firstRetryMs === undefined ? {} : { firstRetryMs: options.firstRetryMs }),
    onNotification(channel, payload) {
      if (channel === POOL_EDITS_CHANNEL) poolEdits.take(payload);
      else
        void applyPublishedSettings().catch((error: unknown) =>
          logger.warn({ err: error }, 'could not read the published settings'),
        );
    },
    async onConnect() {
      connects += 1;
      // The replica hydrated at start; after a reconnect, edits made meanwhile are merged here.
      if (connects > 1) {
        await pool.hydrate();
        logger.info('LISTEN connection back: pool merged from Postgres');
      }
      await applyPublishedSettings();
    },
  });

  return {
    poolEdits,
    listener,
    get settingsReads() {
      return settingsReads;
    },
    applyPublishedSettings,
    closeStep: {
      name: 'live updates',
      close: async () => {
        await listener.stop();
        await poolEdits.flush();
      },
    },
  };
}
