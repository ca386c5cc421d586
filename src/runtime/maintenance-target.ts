import type { ImportableConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import { keyRingOf } from '../config/encryption-key.js';
import type { MaintenanceTarget } from '../jobs/maintenance.js';
import type { KeyPool } from '../lease/key-pool.js';
import type { Db } from '../store/database.js';
import { importConfig } from '../store/import-config.js';
import { isNoop } from '../store/import/report.js';

export const NOT_IMPORTING =
  'skipped: this process holds no key secrets; the process that imports (npm start, or `aikeys import`) picks up changes';

/**
 * The maintenance tasks over the key pool and the import. `importableConfig` reads the env file
 * with its key secrets, for the length of one re-import; a process without it (a worker replica
 * that holds no key secrets) does not re-import and says so in the task's result.
 */
export function createMaintenanceTarget(deps: {
  db: Db;
  pool: KeyPool;
  importableConfig: (() => ImportableConfig) | undefined;
  logger: Logger;
  now?: () => Date;
}): MaintenanceTarget {
  const { db, pool, logger } = deps;
  const now = deps.now ?? (() => new Date());
  return {
    async resetDaily() {
      // The reset at 00:00 UTC on the 1st also starts the accounts' new budget month.
      const keysReset = await pool.resetDaily({ monthly: now().getUTCDate() === 1 });
      return { keysReset };
    },
    async unblockExpired() {
      return { unblocked: (await pool.unblockExpired()).length };
    },
    async reimportConfig() {
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
