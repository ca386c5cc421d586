import { auditCli } from '../audit.js';
import { describeStatus, positiveInteger, withKeyActions } from './key-action-helpers.js';
import type { CommandRegistrar } from '../context.js';
import { AikeysError } from '../../core/errors.js';

/**
 * `--reason` is echoed in the answer but not stored: Postgres keeps a reason only for disabled keys
 * (`disabled_reason`), and a block ends by itself.
 */
export const registerBlock: CommandRegistrar = (program, ctx) => {
  program
    .command('block')
    .description('take a key out of rotation for a while (default AI_BLOCK_SECONDS); it comes back by itself')
    .argument('<key_name>', 'the key, e.g. key_1 (see `aikeys keys`)')
    .option('--seconds <n>', 'how long to block it', positiveInteger)
    .option('--reason <text>', 'why (shown in the answer, not stored)')
    .action(async (name: string, options: { seconds?: number; reason?: string }, command: typeof program) => {
      const line = await withKeyActions(ctx, command, async (session) => {
        const seconds = options.seconds ?? session.config.system.blockSeconds;
        const max = session.config.system.maxBlockSeconds;
        // The engine would cut a longer block to the cap; refusing says so instead of blocking less.
        if (seconds > max) {
          throw new AikeysError(
            'BLOCK_TOO_LONG',
            `--seconds ${seconds} is over the longest block, ${max} s (AI_MAX_BLOCK_SECONDS); block for at most that, or raise AI_MAX_BLOCK_SECONDS`,
          );
        }
        const key = await session.actions.block(name, { seconds, reason: options.reason });
        await auditCli(ctx, session.config, session.db, {
          action: 'block',
          keyName: name,
          reason: options.reason,
          details: { seconds },
        });
        const why = options.reason === undefined ? '' : ` (${options.reason})`;
        return `Blocked ${name} for ${seconds} s${why}: ${describeStatus(key)}`;
      });
      ctx.out(`${line}\n`);
    });
};
