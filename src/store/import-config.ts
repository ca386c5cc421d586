/**
 * Import the config's accounts and keys into Postgres (`aikeys import`, and each replica at start), idempotently:
 * a second import of the same config writes nothing. The whole import is ONE transaction holding a
 * transaction-scoped advisory lock, so replicas that start together serialise and the later one
 * sees the earlier one's rows (READ COMMITTED takes a fresh snapshot per statement, and the lock is
 * the first statement). A dry run does the same work and rolls it back, so its report is exact.
 */
import type { Knex } from 'knex';
import { publishedSettings, restartNeeded } from '../config/published-settings.js';
import type { AikeysConfig, ImportableConfig } from '../config/types.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { KeyRing } from '../crypto/key-ring.js';
import type { Db } from './database.js';
import { retryOnDeadlock } from './deadlock-retry.js';
import { syncAccounts } from './import/accounts-sync.js';
import { syncKeys } from './import/keys-sync.js';
import { recordImport } from './config-status.js';
import { acquireImportLock } from './import/lock.js';
import type { ImportReport } from './import/report.js';

export type {
  ChangedAccount,
  ChangedKey,
  DisabledKey,
  FieldChange,
  FieldValue,
  ImportedAccount,
  ImportedKey,
  ImportReport,
} from './import/report.js';
export { isNoop } from './import/report.js';

export { IMPORT_LOCK_ID } from './import/lock.js';

export interface ImportOptions {
  readonly ring: KeyRing;
  readonly dryRun?: boolean;
  readonly logger?: Logger;
  /**
   * The config the importing process runs with: settings of the file that differ from it and need
   * a restart are recorded (ai_config_status.restart_needed). Without it (`aikeys import`, which
   * runs nothing) none are.
   */
  readonly running?: Pick<AikeysConfig, 'system' | 'services' | 'providers'>;
}

async function runImport(
  trx: Knex.Transaction,
  config: ImportableConfig,
  options: ImportOptions,
  dryRun: boolean,
): Promise<ImportReport> {
  await acquireImportLock(trx);
  const accounts = await syncAccounts(trx, config.accounts);
  const keys = await syncKeys(trx, config.keys, accounts.idByRef, options.ring);
  if (!dryRun) {
    // In the import's transaction, under its lock: status and published settings match the rows.
    await recordImport(trx, {
      file: config.file,
      counts: {
        added: keys.added.length,
        changed: keys.changed.length,
        disabled: keys.disabled.length,
        unchanged: keys.unchanged.length,
      },
      settings: publishedSettings(config),
      restartNeeded: options.running ? restartNeeded(options.running, config) : [],
    });
  }
  return {
    dryRun,
    file: config.file,
    accounts: { added: accounts.added, changed: accounts.changed, unchanged: accounts.unchanged },
    added: keys.added,
    changed: keys.changed,
    disabled: keys.disabled,
    unchanged: keys.unchanged,
    alreadyRemoved: keys.alreadyRemoved,
    legacy: config.legacy,
  };
}

async function importOnce(
  db: Db,
  config: ImportableConfig,
  options: ImportOptions,
  dryRun: boolean,
): Promise<ImportReport> {
  const trx = await db.transaction();
  let report: ImportReport;
  try {
    report = await runImport(trx, config, options, dryRun);
  } catch (error) {
    await trx.rollback();
    throw error;
  }
  if (dryRun) await trx.rollback();
  else await trx.commit();
  return report;
}

export async function importConfig(
  db: Db,
  config: ImportableConfig,
  options: ImportOptions,
): Promise<ImportReport> {
  const dryRun = options.dryRun ?? false;
  const logger = options.logger ?? silentLogger;
  // A rolled-back import left nothing behind, so one aborted by a deadlock simply runs again.
  const report = await retryOnDeadlock(() => importOnce(db, config, options, dryRun));

  logger.info(
    {
      file: report.file,
      dryRun,
      added: report.added.length,
      changed: report.changed.length,
      disabled: report.disabled.length,
      unchanged: report.unchanged.length,
      accountsAdded: report.accounts.added.length,
    },
    dryRun ? 'config import planned (dry run, nothing written)' : 'config imported',
  );
  for (const notice of report.legacy) {
    logger.warn(
      { file: notice.file, line: notice.line, name: notice.name, newName: notice.newName },
      notice.message,
    );
  }
  return report;
}
