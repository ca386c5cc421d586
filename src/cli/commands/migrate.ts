import { createDb, ensureDatabase, migrateLatest } from '../../store/database.js';
import { servicesFor, type CommandRegistrar } from '../context.js';

export const registerMigrate: CommandRegistrar = (program, ctx) => {
  program
    .command('migrate')
    .description('create the database when missing and apply pending schema migrations')
    .action(async (_options, command: typeof program) => {
      const { databaseUrl } = servicesFor(ctx, command);
      // The steps of openDatabase, taken one by one to report what was created and applied.
      const { created } = await ensureDatabase(databaseUrl);
      const db = createDb(databaseUrl, { poolMax: 1 });
      try {
        const applied = await migrateLatest(db);
        if (created) ctx.out(`Created database ${new URL(databaseUrl).pathname.slice(1)}.\n`);
        ctx.out(
          applied.length === 0
            ? 'Schema is up to date: no migration to apply.\n'
            : `Applied ${applied.length} migration(s):\n${applied.map((m) => `  ${m}\n`).join('')}`,
        );
      } finally {
        await db.destroy();
      }
    });
};
