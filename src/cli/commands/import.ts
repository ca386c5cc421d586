import { keyRingOf } from '../../config/encryption-key.js';
import { importConfig } from '../../store/import-config.js';
import type { ImportReport } from '../../store/import/report.js';
import { auditCli } from '../audit.js';
import { importableConfigFor, withDatabase, writeJson, type CommandRegistrar } from '../context.js';
import { renderImportReport } from '../render/import-report.js';

/** Key names and counts only: the report's masked secrets stay out of the audit trail. */
function importDetails(report: ImportReport): Record<string, unknown> {
  return {
    file: report.file,
    added: report.added.map((k) => k.name),
    changed: report.changed.map((k) => k.name),
    disabled: report.disabled.map((k) => k.name),
    unchanged: report.unchanged.length,
    accountsAdded: report.accounts.added.length,
    accountsChanged: report.accounts.changed.length,
  };
}

export const registerImport: CommandRegistrar = (program, ctx) => {
  program
    .command('import')
    .description(
      "import the env file's accounts and keys into Postgres (creating and migrating the database when needed); " +
        'keys no longer in the file are disabled, never deleted',
    )
    .option('--dry-run', 'report what would change, write nothing')
    .option('--json', 'print the report as JSON')
    .action(async (options: { dryRun?: boolean; json?: boolean }, command: typeof program) => {
      const config = importableConfigFor(ctx, command);
      const ring = keyRingOf(config.system);
      const report = await withDatabase(config.services.databaseUrl, async (db) => {
        const result = await importConfig(db, config, { ring, dryRun: options.dryRun === true });
        if (!result.dryRun)
          await auditCli(ctx, config, db, { action: 'import', details: importDetails(result) });
        return result;
      });
      if (options.json === true) writeJson(ctx, report);
      else ctx.out(renderImportReport(report));
    });
};
