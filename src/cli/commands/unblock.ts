import { auditCli } from '../audit.js';
import { describeStatus, withKeyActions } from './key-action-helpers.js';
import type { CommandRegistrar } from '../context.js';

export const registerUnblock: CommandRegistrar = (program, ctx) => {
  program
    .command('unblock')
    .description('end a temporary block now; other statuses are left alone')
    .argument('<key_name>', 'the key, e.g. key_1 (see `aikeys keys`)')
    .action(async (name: string, _options: unknown, command: typeof program) => {
      const line = await withKeyActions(ctx, command, async (session) => {
        const key = await session.actions.unblock(name);
        await auditCli(ctx, session.config, session.db, { action: 'unblock', keyName: name });
        return `Unblocked ${name}: ${describeStatus(key)}`;
      });
      ctx.out(`${line}\n`);
    });
};
