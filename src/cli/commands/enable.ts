import { auditCli } from '../audit.js';
import { describeStatus, withKeyActions } from './key-action-helpers.js';
import type { CommandRegistrar } from '../context.js';

export const registerEnable: CommandRegistrar = (program, ctx) => {
  program
    .command('enable')
    .description('put a disabled key back into rotation (its failure count starts again at 0)')
    .argument('<key_name>', 'the key, e.g. key_1 (see `aikeys keys`)')
    .action(async (name: string, _options: unknown, command: typeof program) => {
      const line = await withKeyActions(ctx, command, async (session) => {
        const key = await session.actions.enable(name);
        await auditCli(ctx, session.config, session.db, { action: 'enable', keyName: name });
        return `Enabled ${name}: ${describeStatus(key)}`;
      });
      ctx.out(`${line}\n`);
    });
};
