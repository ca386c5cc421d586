import { keyRingOf } from '../../config/encryption-key.js';
import { importConfig } from '../../store/import-config.js';
import { importableConfigFor, withDatabase, writeJson, type CommandRegistrar } from '../context.js';
import { renderImportReport } from '../render/import-report.js';

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
      const report = await withDatabase(config.services.databaseUrl, (db) =>
        importConfig(db, config, { ring, dryRun: options.dryRun === true }),
      );
      if (options.json === true) writeJson(ctx, report);
      else ctx.out(renderImportReport(report));
    });
};
