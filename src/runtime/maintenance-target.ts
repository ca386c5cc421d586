import type { ImportableConfig, SystemSettings } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import { keyRingOf } from '../config/encryption-key.js';
import { addDays, dayClosedAt, isLastDayOfMonth } from '../core/time-zone.js';
import type { MaintenanceTarget } from '../jobs/maintenance.js';
import type { KeyPool } from '../lease/key-pool.js';
import type { Db } from '../store/database.js';
import { lastClosedDayBefore } from '../store/daily-history.js';
import { importConfig } from '../store/import-config.js';
import { isNoop } from '../store/import/report.js';
import { pruneRequestLogs } from '../store/log-retention.js';

export const NOT_IMPORTING =
  'skipped: this process holds no key secrets; the process that imports (npm start, or `aikeys import`) picks up changes';

/**
 * The maintenance tasks over the key pool and the import. `importableConfig` reads the env file
 * with its key secrets, for the length of one re-import; a process without it (a worker replica
 * that holds no key secrets) does not re-import and says so in the task's result. AI_TIMEZONE is
 * taken once, as the reset's schedule was registered with it at start.
 */
export function createMaintenanceTarget(deps: {
  db: Db;
  pool: KeyPool;
  importableConfig: (() => ImportableConfig) | undefined;
  /** Re-imports with status and error recording (config-reload.ts); replaces importableConfig. */
  reimport?: (() => Promise<{ changed: boolean; summary: string }>) | undefined;
  /** The day boundary as this process was started with; the retention is read at each run (reloadable). */
  system: Pick<SystemSettings, 'timeZone' | 'logRetentionDays'>;
  logger: Logger;
  now?: () => Date;
}): MaintenanceTarget {
  const { db, pool, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const { timeZone } = deps.system;
  return {
    async resetDaily() {
      const day = dayClosedAt(now().getTime(), timeZone);
      const monthly = await startsMonth(db, day);
      const { keysReset, closed, missedDaysClosed } = await pool.resetDay(day, { monthly, timeZone });
      if (missedDaysClosed.length === 0) return { keysReset, day, closed };
      logger.warn(
        { day, missedDaysClosed },
        'the daily reset had not run at the end of these days (no replica was up): they are closed and rolled up from their usage logs now',
      );
      return { keysReset, day, closed, missedDaysClosed };
    },
    async pruneLogs() {
      const { deleted } = await pruneRequestLogs(db, {
        retentionDays: deps.system.logRetentionDays,
        nowMs: now().getTime(),
      });
      return { deleted };
    },
    async unblockExpired() {
      return { unblocked: (await pool.unblockExpired()).length };
    },
    async reimportConfig() {
      if (deps.reimport) return deps.reimport();
      if (deps.importableConfig === undefined) return { changed: false, summary: NOT_IMPORTING };
      const config = deps.importableConfig();
      const report = await importConfig(db, config, {
        ring: keyRingOf(config.system),
        logger,
      });
      if (isNoop(report)) return { changed: false, summary: 'config unchanged' };
      await pool.hydrate();
      const summary = `added ${report.added.length}, changed ${report.changed.length}, disabled ${report.disabled.length}`;
      logger.info({ summary }, 'config re-imported');
      return { changed: true, summary };
    },
  };
}

/**
 * Whether closing `day` starts a new budget month: the day after it is in another month than the
 * day after the previous closed day. Usually that is the reset closing a month's last day; it is
 * also the first reset after a month boundary whose own reset did not run (a replica was down).
 */
async function startsMonth(db: Db, day: string): Promise<boolean> {
  const previous = await lastClosedDayBefore(db, day);
  if (previous === null) return isLastDayOfMonth(day);
  return addDays(day, 1).slice(0, 7) !== addDays(previous, 1).slice(0, 7);
}
