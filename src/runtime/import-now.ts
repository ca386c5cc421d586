/**
 * "Import the config now", for `POST /api/import`: the import `aikeys import` and the scheduled
 * import-config task run (importConfig: one transaction under the advisory lock, so it serialises
 * with them), then the pool's Redis state and opened keys are rebuilt from Postgres when anything
 * changed, as the scheduled task does, so a new key serves at once and a removed one stops. The
 * key secrets are read from the env file for this import only and dropped with it.
 */
import { keyRingOf } from '../config/encryption-key.js';
import type { ImportableConfig } from '../config/types.js';
import type { Logger } from '../core/logger.js';
import type { KeyPool } from '../lease/key-pool.js';
import type { Db } from '../store/database.js';
import { importConfig, isNoop, type ImportReport } from '../store/import-config.js';

export interface ImportNowDeps {
  readonly db: Db;
  readonly pool: Pick<KeyPool, 'hydrate'>;
  /** Reads the env file with its key secrets (ConfigManager.readForImport). */
  readonly readForImport: () => ImportableConfig;
  readonly logger: Logger;
}

export function createImportNow(deps: ImportNowDeps): () => Promise<ImportReport> {
  return async () => {
    const config = deps.readForImport();
    const report = await importConfig(deps.db, config, {
      ring: keyRingOf(config.system),
      logger: deps.logger,
    });
    if (!isNoop(report)) await deps.pool.hydrate();
    return report;
  };
}
