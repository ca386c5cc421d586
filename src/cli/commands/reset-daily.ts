import { auditCli } from '../audit.js';
import { withKeyActions } from './key-action-helpers.js';
import type { CommandRegistrar } from '../context.js';

/**
 * The same reset the maintenance scheduler runs at midnight, for an operator who needs it now (a new
 * quota granted mid-day). Exhausted keys become active again.
 */
export const registerResetDaily: CommandRegistrar = (program, ctx) => {
  program
    .command('reset-daily')
    .description("reset every key's used_today to 0 now (exhausted keys become active again)")
    .action(async (_options: unknown, command: typeof program) => {
      const { keysReset } = await withKeyActions(ctx, command, async (session) => {
        const result = await session.actions.resetDaily();
        const details = { keysReset: result.keysReset };
        await auditCli(ctx, session.config, session.db, { action: 'reset-daily', details });
        return result;
      });
      ctx.out(`Reset the daily usage of ${keysReset} key${keysReset === 1 ? '' : 's'}: used_today is 0\n`);
    });
};
