import { auditCli } from '../audit.js';
import { DEFAULT_DISABLE_REASON } from '../../lease/key-actions.js';
import { describeStatus, withKeyActions } from './key-action-helpers.js';
import type { CommandRegistrar } from '../context.js';

export const registerDisable: CommandRegistrar = (program, ctx) => {
  program
    .command('disable')
    .description('take a key out of rotation until `aikeys enable`; its history stays')
    .argument('<key_name>', 'the key, e.g. key_1 (see `aikeys keys`)')
    .option('--reason <text>', 'why (stored as the disabled reason)', DEFAULT_DISABLE_REASON)
    .action(async (name: string, options: { reason: string }, command: typeof program) => {
      const line = await withKeyActions(ctx, command, async (session) => {
        const key = await session.actions.disable(name, { reason: options.reason });
        const audit = { action: 'disable', keyName: name, reason: options.reason } as const;
        await auditCli(ctx, session.config, session.db, audit);
        return `Disabled ${name}: ${describeStatus(key)}`;
      });
      ctx.out(`${line}\n`);
    });
};
